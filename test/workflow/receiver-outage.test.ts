/**
 * Temporal down → the receiver answers 503 (so Cloud Monitoring / Pub/Sub deliver again), and the
 * delivery after Temporal is back on the same address is accepted, through the same client connection.
 * A worker serves the governors (which admit new remediations) on their own task queue; the
 * remediations go to a queue no worker serves, so they wait.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { remediationWorkflowId } from '../../core/model';
import { startReceiver, type Receiver } from '../../receiver/server';
import { shippedPolicies } from '../helpers/approvers';
import { createWorker } from '../../runtime/worker';
import { alertFixture } from '../helpers/alert-fixtures';
import { startSim, type SimHarness } from '../helpers/sim';
import { startDevServer } from '../helpers/temporal';
import { scopeOfProjects } from '../../core/scope';

const TOKEN = 'outage-token-0123456789';
const GOVERNORS = 'lbmedic-outage-governors';

/** A worker for the governors on `env`; returns how to stop it. */
async function governorWorker(env: TestWorkflowEnvironment, sim: SimHarness): Promise<() => Promise<void>> {
  const worker = await createWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue: GOVERNORS,
    clients: sim.clients,
    policies: shippedPolicies(),
    scope: scopeOfProjects(['demo-project']),
    temporal: env.client,
    notify: { writeLine: () => undefined },
  });
  const running = worker.run();
  return async () => {
    worker.shutdown();
    await running;
  };
}

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

async function post(receiver: Receiver, body: unknown) {
  const res = await fetch(`${receiver.url}/alerts?token=${TOKEN}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

test('Temporal down: 503 and nothing lost; the redelivery after it is back is accepted', async () => {
  const [first, sim] = await Promise.all([startDevServer(), startSim('healthy')]);
  cleanups.push(() => sim.stop());
  const stopFirstWorker = await governorWorker(first, sim);
  let firstUp = true;
  cleanups.push(async () => {
    if (firstUp) await first.teardown();
  });
  const address = first.address;
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  // The receiver's own connection, as `lbmedic receiver` has: it outlives the server.
  const connection = await Connection.connect({ address });
  cleanups.push(() => connection.close());
  const receiver = await startReceiver({
    client: new Client({ connection, namespace: 'default' }),
    taskQueue: 'lbmedic-outage-test',
    governorTaskQueue: GOVERNORS,
    temporalTimeoutMs: 2_000,
    scope: scopeOfProjects(['demo-project']),
    credentials: { token: TOKEN },
    log: () => {},
  });
  cleanups.push(() => receiver.close());

  const payload = alertFixture('lb-5xx-open');
  const workflowId = remediationWorkflowId('demo-project', 'web-bs');
  assert.equal((await post(receiver, payload)).status, 200, 'accepted while Temporal is up');

  await stopFirstWorker();
  await first.teardown();
  firstUp = false;
  // What Temporal already accepted stays accepted: its re-delivery is answered from the receiver's memory.
  assert.equal((await post(receiver, payload)).status, 200, 'a re-delivery of an accepted incident');
  // A new incident cannot be handed over: 503, so Cloud Monitoring delivers it again later.
  payload.incident.incident_id = 'outage-new-incident';
  const down = await post(receiver, payload);
  assert.equal(down.status, 503);
  assert.equal(down.json.outcome, 'temporal-unavailable');
  assert.match(String(down.json.message), /^Temporal did not accept the incident, retry later: /);

  const second = await startDevServer({ port });
  cleanups.push(() => second.teardown());
  cleanups.push(await governorWorker(second, sim));
  // Like Google's redelivery: try again a bounded number of times while the connection reconnects.
  let status = 0;
  for (let attempt = 0; attempt < 20 && status !== 200; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, 250));
    status = (await post(receiver, payload)).status;
  }
  assert.equal(status, 200, 'accepted once Temporal is back');
  const description = await second.client.workflow.getHandle(workflowId).describe();
  assert.equal(description.status.name, 'RUNNING');
});
