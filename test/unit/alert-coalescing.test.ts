/**
 * Alert storms on a running remediation: a duplicate that arrives while the same alert is on its way
 * to Temporal joins it; one that arrives shortly after Temporal accepted it is answered from the
 * receiver's memory. The Temporal client is a stand-in whose `alert` signal the test releases by
 * hand, so the timing is certain; the real client (and the governor that admits new remediations)
 * is exercised in test/workflow/receiver.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Client } from '@temporalio/client';
import { parseWebhookBody } from '../../core/alerts';
import type { TargetAdmission } from '../../core/fleet';
import { intakeNotification, RecentlyAccepted } from '../../receiver/intake';
import { alertFixture } from '../helpers/alert-fixtures';
import { scopeOfProjects } from '../../core/scope';

/** A stand-in client whose running remediations take the `alert` signal through `signal`. */
function clientWith(signal: () => Promise<void>): Client {
  return {
    connection: { withDeadline: (_deadline: number, fn: () => Promise<unknown>) => fn() },
    workflow: { getHandle: () => ({ signal }) },
  } as unknown as Client;
}

test('concurrent duplicates share one signal and are answered only once it is accepted', async () => {
  let calls = 0;
  let release!: () => void;
  const accepted = new Promise<void>((r) => (release = r));
  const client = clientWith(async () => {
    calls++;
    await accepted;
  });
  const parsed = parseWebhookBody(alertFixture('lb-5xx-open'));
  assert.ok(parsed.ok);
  const opts = {
    client,
    taskQueue: 'q',
    temporalTimeoutMs: 1000,
    scope: scopeOfProjects(['demo-project']),
    inFlight: new Map<string, Promise<TargetAdmission>>(),
  };
  let answered = 0;
  const intakes = Array.from({ length: 5 }, () =>
    intakeNotification(parsed.notification, false, 'webhook', opts, new Date().toISOString()).then((r) => {
      answered++;
      return r;
    }),
  );
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(calls, 1, 'one signal for five concurrent deliveries');
  assert.equal(answered, 0, 'nobody is answered before Temporal accepts');
  release();
  const results = await Promise.all(intakes);
  assert.deepEqual(
    results.map((r) => r.status),
    [200, 200, 200, 200, 200],
  );
  assert.equal(opts.inFlight.size, 0, 'nothing left in flight');
  await intakeNotification(parsed.notification, false, 'webhook', opts, new Date().toISOString());
  assert.equal(calls, 2, 'a later delivery is passed on again');
});

test('a re-delivery within the TTL is answered from memory; after it, or after a failure, Temporal is asked', async () => {
  let calls = 0;
  let failNext = false;
  const client = clientWith(async () => {
    calls++;
    if (failNext) {
      failNext = false;
      throw new Error('Temporal unavailable');
    }
  });
  let clock = 0;
  const opts = {
    client,
    taskQueue: 'q',
    temporalTimeoutMs: 1000,
    scope: scopeOfProjects(['demo-project']),
    recentlyAccepted: new RecentlyAccepted(60_000, 2, () => clock),
  };
  const deliver = async () => {
    const parsed = parseWebhookBody(alertFixture('lb-5xx-open'));
    assert.ok(parsed.ok);
    return intakeNotification(parsed.notification, false, 'webhook', opts, new Date().toISOString());
  };
  const table: [string, () => void, number, number][] = [
    // what happens first, status expected, signals so far
    ['a failed delivery is not remembered', () => (failNext = true), 503, 1],
    ['so its re-delivery goes to Temporal', () => undefined, 200, 2],
    ['a re-delivery within the TTL does not', () => (clock += 59_000), 200, 2],
    ['past the TTL it does again', () => (clock += 2_000), 200, 3],
  ];
  for (const [what, before, status, expectedCalls] of table) {
    before();
    const r = await deliver();
    assert.equal(r.status, status, what);
    assert.equal(calls, expectedCalls, what);
  }
  // The memory is bounded: the oldest entries go first.
  opts.recentlyAccepted.add('a');
  opts.recentlyAccepted.add('b');
  assert.equal(opts.recentlyAccepted.size, 2);
  assert.equal(opts.recentlyAccepted.has('a'), true);
  assert.equal(await deliver().then(() => calls), 4, 'evicted: asked again');
});
