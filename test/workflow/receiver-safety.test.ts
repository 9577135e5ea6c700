/**
 * The receiver's safety edges over real HTTP, against a real Temporal dev server and the GCP
 * simulator (URL maps): alerts outside the scope and stale alerts are answered 2xx, logged and start
 * nothing, whatever their labels say; no credential reaches the log in any form; failed
 * authentications are counted into one line.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { remediationWorkflowId } from '../../core/model';
import type { Scope } from '../../core/scope';
import { startReceiver, type Receiver } from '../../receiver/server';
import { shippedPolicies } from '../helpers/approvers';
import { createWorker } from '../../runtime/worker';
import { alertFixture } from '../helpers/alert-fixtures';
import { startSim, type SimHarness } from '../helpers/sim';
import { startDevServer } from '../helpers/temporal';

const TOKEN = 'rs-token-0123456789abcdef/+=';
const BASIC = { username: 'cloud-monitoring', password: 'correct horse battery staple' };
const SHARED = fileURLToPath(new URL('../fixtures/alerts/shared-url-map.yaml', import.meta.url));
const SCOPE: Scope = {
  projects: ['rs-in-*', 'demo-project'],
  backendServices: { include: [], exclude: ['shop-web-*', 'payments-*'] },
  networks: [],
};

let env: TestWorkflowEnvironment;
let sim: SimHarness;
let receiver: Receiver;
const logs: Record<string, unknown>[] = [];

/** The governors' task queue: a worker with the simulator's clients and SCOPE reads the URL maps. */
const GOVERNORS = 'lbmedic-receiver-safety-governors';
let stopWorker: () => Promise<void>;

before(async () => {
  [env, sim] = await Promise.all([startDevServer(), startSim(SHARED)]);
  const worker = await createWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue: GOVERNORS,
    clients: sim.clients,
    policies: shippedPolicies(),
    scope: SCOPE,
    temporal: env.client,
    notify: { writeLine: () => undefined },
  });
  const running = worker.run();
  stopWorker = async () => {
    worker.shutdown();
    await running;
  };
  // The remediations go to a task queue no worker serves: they wait, and the tests see what started.
  receiver = await startReceiver({
    client: env.client,
    taskQueue: 'lbmedic-receiver-safety',
    governorTaskQueue: GOVERNORS,
    temporalTimeoutMs: 10_000,
    scope: SCOPE,
    maxAlertAgeSec: 3600,
    credentials: { token: TOKEN, basic: BASIC },
    log: (entry) => logs.push(entry),
  });
});
after(async () => {
  await receiver?.close();
  await stopWorker?.();
  await Promise.all([env?.teardown(), sim?.stop()]);
});

async function post(
  body: unknown,
  target = `/alerts?token=${encodeURIComponent(TOKEN)}`,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${receiver.url}${target}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** The lb-5xx fixture for `project`/`backendService`, with optional policy user labels. */
function alert(project: string, backendService: string, labels: Record<string, string> = {}, id?: string) {
  const payload = alertFixture('lb-5xx-open');
  const incident = payload.incident as {
    incident_id: string;
    resource: { labels: Record<string, string> };
    policy_user_labels: Record<string, string>;
  };
  incident.resource.labels.project_id = project;
  incident.resource.labels.backend_target_name = backendService;
  incident.policy_user_labels = { ...incident.policy_user_labels, ...labels };
  incident.incident_id = id ?? `0.${project}-${backendService}`;
  return payload;
}

async function exists(workflowId: string): Promise<boolean> {
  try {
    await env.client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

test('an authenticated alert for a project outside the scope: 2xx out-of-scope, logged, nothing started', async () => {
  const res = await post(alert('rs-elsewhere-1', 'web-bs'));
  assert.equal(res.status, 200, JSON.stringify(res.json));
  assert.equal(res.json.outcome, 'out-of-scope');
  assert.match(
    String(res.json.message),
    /^not remediated: project rs-elsewhere-1 is not in lbmedic's scope \(projects rs-in-\*, demo-project\) \(via resource\.labels\.backend_target_name\)$/,
  );
  assert.equal(await exists(remediationWorkflowId('rs-elsewhere-1', 'web-bs')), false);
  const line = logs.find((l) => l.outcome === 'out-of-scope' && l.incident === '0.rs-elsewhere-1-web-bs');
  assert.ok(line, 'logged');
  assert.equal(line.status, 200);
  assert.match(String(line.reason), /project rs-elsewhere-1 is not in lbmedic's scope/);
});

test('a backend service excluded from the scope starts nothing; one inside it starts', async () => {
  const excluded = await post(alert('rs-in-1', 'payments-bs'));
  assert.equal(excluded.json.outcome, 'out-of-scope');
  assert.match(String(excluded.json.message), /backend service payments-bs is excluded from lbmedic's scope/);
  assert.equal(await exists(remediationWorkflowId('rs-in-1', 'payments-bs')), false);
  const inside = await post(alert('rs-in-1', 'web-bs'));
  assert.equal(inside.json.outcome, 'accepted', JSON.stringify(inside.json));
  assert.equal(await exists(remediationWorkflowId('rs-in-1', 'web-bs')), true);
});

test('labels cannot lead outside the scope: lbmedic_project, lbmedic_backend_service, lbmedic_url_map', async () => {
  const cases: [Record<string, string>, string, RegExp][] = [
    [
      { lbmedic_project: 'rs-elsewhere-2' },
      remediationWorkflowId('rs-elsewhere-2', 'web-bs'),
      /project rs-elsewhere-2 is not in/,
    ],
    [
      { lbmedic_backend_service: 'payments-api' },
      remediationWorkflowId('rs-in-2', 'payments-api'),
      /backend service payments-api is excluded/,
    ],
    [
      { lbmedic_project: 'rs-elsewhere-3', lbmedic_url_map: 'shop-map' },
      remediationWorkflowId('rs-elsewhere-3', 'shop-api-bs'),
      /project rs-elsewhere-3 is not in .*\(via policy_user_labels\.lbmedic_url_map\)/,
    ],
  ];
  for (const [labels, workflowId, why] of cases) {
    const res = await post(alert('rs-in-2', 'web-bs', labels, `0.label-${Object.values(labels).join('-')}`));
    assert.equal(res.status, 200, JSON.stringify(labels));
    assert.equal(res.json.outcome, 'out-of-scope', JSON.stringify(res.json));
    assert.match(String(res.json.message), why);
    assert.equal(await exists(workflowId), false, workflowId);
  }
  assert.equal(
    await exists(remediationWorkflowId('rs-in-2', 'web-bs')),
    false,
    'nor the resource’s own target',
  );
});

test('a URL map in scope: only the backend services inside the scope are remediated', async () => {
  const res = await post(alertFixture('url-map-only-open'));
  assert.equal(res.json.outcome, 'accepted', JSON.stringify(res.json));
  assert.deepEqual(res.json.targets, [
    { workflowId: remediationWorkflowId('demo-project', 'shop-api-bs'), result: 'accepted' },
  ]);
  assert.equal(await exists(remediationWorkflowId('demo-project', 'shop-web-bs')), false);
});

test('a stale alert (and one without started_at) is answered 2xx stale and starts nothing', async () => {
  const now = Math.floor(Date.now() / 1000);
  const rows: [number | null, RegExp][] = [
    [
      now - 2 * 3600,
      /^not remediated: the incident started 7\d{3}s ago \(.*\), more than maxAlertAge 3600s$/,
    ],
    [1_264_031_020, /more than maxAlertAge 3600s/],
    [null, /the incident has no started_at, so its age cannot be checked/],
    [now + 86_400, /s in the future$/],
  ];
  for (const [i, [startedAt, why]] of rows.entries()) {
    const payload = alert('rs-in-3', `stale-${i}`);
    payload.incident.started_at = startedAt;
    const res = await post(payload);
    assert.equal(res.status, 200);
    assert.equal(res.json.outcome, 'stale', JSON.stringify(res.json));
    assert.match(String(res.json.message), why);
    assert.equal(await exists(remediationWorkflowId('rs-in-3', `stale-${i}`)), false);
  }
  assert.ok(
    logs.some((l) => l.outcome === 'stale' && /maxAlertAge/.test(String(l.reason))),
    'logged with why',
  );
  const fresh = alert('rs-in-3', 'fresh-bs');
  fresh.incident.started_at = now - 300;
  assert.equal((await post(fresh)).json.outcome, 'accepted');
});

test('no credential is logged in any form: in the path, the query, a header or the body', async () => {
  const encoded = encodeURIComponent(TOKEN);
  const b64 = Buffer.from(TOKEN).toString('base64');
  const basic = Buffer.from(`${BASIC.username}:${BASIC.password}`).toString('base64');
  const before = logs.length;
  const attempts: [string, Record<string, string>][] = [
    [`/alerts;token=${encoded}`, {}],
    [`/alerts;token=${encoded}?token=${encoded}`, {}],
    [`/${encoded}`, {}],
    [`/alerts/${b64}?token=${encoded}`, {}],
    [`/alerts?token=${encoded}&also=${encoded}&b=${b64}`, { 'x-token': TOKEN }],
    ['/alerts', { authorization: `Basic ${basic}`, 'x-forwarded-for': TOKEN }],
  ];
  for (const [target, headers] of attempts) {
    const payload = alert('rs-in-4', 'web-bs', { note: TOKEN });
    payload.incident.summary = `${TOKEN} ${b64}`;
    await post(payload, target, headers);
  }
  // A body that is not JSON, carrying the token: the parser's message must not carry it to the log.
  await fetch(`${receiver.url}/alerts?token=${encoded}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: `${TOKEN} is not JSON`,
  }).then((r) => r.body?.cancel());
  const written = logs.slice(before);
  assert.ok(written.length >= attempts.length, 'every request was logged');
  const text = JSON.stringify(written);
  for (const secret of [TOKEN, encoded, b64, BASIC.password, encodeURIComponent(BASIC.password), basic]) {
    assert.ok(!text.includes(secret), `the log carries ${secret}`);
  }
  assert.ok(
    written.some((l) => l.path === 'unknown' && l.status === 404),
    'the unknown paths are logged, not their text',
  );
});

test('failed authentications: no line each, one line per interval with their count', async () => {
  const lines: Record<string, unknown>[] = [];
  const guarded = await startReceiver({
    client: env.client,
    taskQueue: 'lbmedic-receiver-safety-auth',
    temporalTimeoutMs: 5_000,
    scope: SCOPE,
    credentials: { token: TOKEN },
    log: (entry) => lines.push(entry),
  });
  try {
    for (const guess of ['guess-1', 'guess-2', 'guess-3', '', TOKEN.slice(0, -1)]) {
      const res = await fetch(`${guarded.url}/alerts?token=${encodeURIComponent(guess)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(res.status, 401);
      await res.body?.cancel();
    }
    assert.equal(await (await fetch(`${guarded.url}/healthz`)).text(), '{"status":200,"message":"ok"}');
  } finally {
    await guarded.close();
  }
  assert.deepEqual(
    lines.map((l) => l.msg),
    ['request', 'authentication failures'],
    'the health check, then the failures summed up at close',
  );
  const summary = lines[1]!;
  assert.equal(summary.count, 5);
  assert.deepEqual(summary.remotes, { '127.0.0.1': 5 });
  assert.ok(!JSON.stringify(lines).includes(TOKEN.slice(0, -1)), 'not even a near-miss guess');
});
