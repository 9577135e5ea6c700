/**
 * Alert storms: a duplicate that arrives while the same alert is on its way to Temporal joins it.
 * The Temporal client is a stand-in whose signal-with-start the test releases by hand, so the timing
 * is certain; the real client is exercised in test/workflow/receiver.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Client } from '@temporalio/client';
import { parseWebhookBody } from '../../core/alerts';
import { intakeNotification } from '../../worker/alert-intake';
import { alertFixture } from '../helpers/alert-fixtures';

test('concurrent duplicates share one signal-with-start and are answered only once it is accepted', async () => {
  let calls = 0;
  let release!: () => void;
  const accepted = new Promise<void>((r) => (release = r));
  const client = {
    connection: { withDeadline: (_deadline: number, fn: () => Promise<unknown>) => fn() },
    workflow: {
      signalWithStart: async () => {
        calls++;
        await accepted;
      },
    },
  } as unknown as Client;
  const parsed = parseWebhookBody(alertFixture('lb-5xx-open'));
  assert.ok(parsed.ok);
  const opts = {
    client,
    taskQueue: 'q',
    temporalTimeoutMs: 1000,
    inFlight: new Map<string, Promise<void>>(),
  };
  let answered = 0;
  const intakes = Array.from({ length: 5 }, () =>
    intakeNotification(parsed.notification, false, 'webhook', opts, new Date().toISOString()).then((r) => {
      answered++;
      return r;
    }),
  );
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(calls, 1, 'one signal-with-start for five concurrent deliveries');
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
