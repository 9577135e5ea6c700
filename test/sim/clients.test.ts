/** The client factory against the simulator: retries of idempotent calls, no retry of permanent errors. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { GoogleApiError } from '../../activities/google-errors';
import { operationOf, waitForOperation } from '../../activities/operations';
import { apiRequests, control, startSim, type SimHarness } from '../helpers/sim';

let sim: SimHarness;
before(async () => {
  sim = await startSim('healthy', { clients: { initialBackoffMs: 10, maxAttempts: 4 } });
});
after(async () => {
  await sim?.stop();
});

const getBs = () => sim.clients.backendServices.get({ project: sim.project, backendService: 'web-bs' });
const calls = (reqs: { path: string }[]) =>
  reqs.filter((r) => r.path.endsWith('/global/backendServices/web-bs')).length;

test('an injected 503 is retried and the call succeeds', async () => {
  const { requests } = await control<{ requests: { seq: number }[] }>(sim, 'GET', 'requests');
  const since = requests.at(-1)?.seq ?? 0;
  await control(sim, 'POST', 'faults', {
    status: 503,
    count: 2,
    match: { service: 'compute', method: 'GET', path: 'backendServices/web-bs$' },
  });
  const [bs] = await getBs();
  assert.equal(bs.name, 'web-bs');
  const seen = await apiRequests(sim, since);
  assert.equal(calls(seen), 3, 'two 503s, then the answer');
  assert.deepEqual(
    seen.filter((r) => r.path.endsWith('/web-bs')).map((r) => r.status),
    [503, 503, 200],
  );
});

test('a paged list whose first page fails is retried from the start', async () => {
  const { requests } = await control<{ requests: { seq: number }[] }>(sim, 'GET', 'requests');
  const since = requests.at(-1)?.seq ?? 0;
  await control(sim, 'POST', 'faults', {
    status: 503,
    count: 1,
    match: { service: 'compute', method: 'GET', path: 'global/firewalls$' },
  });
  const rules = [];
  for await (const rule of sim.clients.firewalls.listAsync({ project: sim.project })) rules.push(rule.name);
  assert.ok(rules.length > 0);
  const seen = (await apiRequests(sim, since)).filter((r) => r.path.endsWith('/global/firewalls'));
  assert.deepEqual(
    seen.map((r) => r.status),
    [503, 200],
  );
});

test('an injected 403 is not retried and surfaces as a permanent GoogleApiError', async () => {
  const { requests } = await control<{ requests: { seq: number }[] }>(sim, 'GET', 'requests');
  const since = requests.at(-1)?.seq ?? 0;
  await control(sim, 'POST', 'faults', { status: 403, count: 1, match: { path: 'backendServices/web-bs$' } });
  await assert.rejects(getBs(), (err: unknown) => {
    assert.ok(err instanceof GoogleApiError);
    assert.equal(err.status, 403);
    assert.equal(err.retryable, false);
    assert.match(err.message, /^backendServices\.get: /);
    return true;
  });
  assert.equal(calls(await apiRequests(sim, since)), 1, 'asked once');
});

test('retries stop after maxAttempts', async () => {
  await control(sim, 'POST', 'faults', {
    status: 429,
    count: 10,
    match: { path: 'backendServices/web-bs$' },
  });
  await assert.rejects(
    getBs(),
    (err: unknown) => err instanceof GoogleApiError && err.status === 429 && err.retryable,
  );
  await control(sim, 'DELETE', 'faults');
});

test('mutations are not retried: a 503 on patch fails once, and nothing changed', async () => {
  const { requests } = await control<{ requests: { seq: number }[] }>(sim, 'GET', 'requests');
  const since = requests.at(-1)?.seq ?? 0;
  await control(sim, 'POST', 'faults', { status: 503, count: 1, match: { method: 'PATCH' } });
  await assert.rejects(
    sim.clients.backendServices.patch({
      project: sim.project,
      backendService: 'web-bs',
      backendServiceResource: { timeoutSec: 45 },
    }),
    (err: unknown) => err instanceof GoogleApiError && err.status === 503,
  );
  assert.equal((await apiRequests(sim, since)).filter((r) => r.method === 'PATCH').length, 1);
  assert.equal((await getBs())[0].timeoutSec, 30);
});

test('a failed operation surfaces its error.errors[]', async () => {
  await control(sim, 'POST', 'faults', { status: 403, mode: 'operation', match: { method: 'PATCH' } });
  const { fingerprint } = (await getBs())[0];
  const result = await sim.clients.backendServices.patch({
    project: sim.project,
    backendService: 'web-bs',
    backendServiceResource: { timeoutSec: 45, fingerprint },
  });
  await assert.rejects(waitForOperation(sim.clients, sim.project, operationOf(result)), (err: unknown) => {
    assert.ok(err instanceof GoogleApiError);
    assert.equal(err.status, 403);
    assert.equal(err.retryable, false);
    return true;
  });
  assert.equal((await getBs())[0].timeoutSec, 30, 'a failed operation changes nothing');
});
