/**
 * The worker process dies (SIGKILL) while diagnosing and while a change is on its way to Google: a
 * second worker finishes the remediation and every change is made exactly once. Reads are local
 * activities, so a dead worker's reads are redone with its workflow task; the retried apply reads the resource first
 * and finds its change made (activities/apply.ts); had the change still been pending, Compute's
 * `requestId` (honoured by the simulator) would have returned the original operation.
 * The later phases: worker-crash-late.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { RemediationResult } from '../../workflows/remediation';
import {
  crashWorld,
  holdNextRequest,
  operationCounts,
  retriedActivities,
  timedOutWorkflowTasks,
} from '../helpers/crash';
import { FIX_OPERATIONS, FIX_STEPS, FIXED, portState } from '../helpers/port-moved';
import { apiRequests, type SimHarness } from '../helpers/sim';
import { policyDir, removeDir } from '../helpers/stack';
import { startDevServer } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
let dir: string;
before(async () => {
  env = await startDevServer();
  dir = policyDir();
});
after(async () => {
  await env?.teardown();
  if (dir) removeDir(dir);
});

/** What port-moved's fix changes, each exactly once, and the world it leaves. */
async function assertFixedOnce(sim: SimHarness, result: RemediationResult, outputs: string) {
  assert.equal(result.outcome, 'REMEDIATED', `${result.summary}\n${outputs}`);
  assert.deepEqual(result.applied, FIX_STEPS);
  assert.deepEqual(await operationCounts(sim), FIX_OPERATIONS);
  assert.deepEqual(await portState(sim), FIXED);
}

test(
  'killed while diagnosing: its workflow task times out and the next worker reads the evidence again',
  { timeout: 240_000 },
  async (t) => {
    const world = await crashWorld(env, 'port-moved', dir);
    t.after(() => world.stop());
    const { sim, fleet, handle } = world;
    // getHealth (an evidence read) is held 5 s at "Google"; the worker dies meanwhile.
    const held = await holdNextRequest(sim, 5_000, {
      service: 'compute',
      method: 'POST',
      path: 'getHealth$',
    });
    fleet.start();
    await world.alert();
    await fleet.replaceAfter(held.arrived());

    const result = (await handle.result()) as RemediationResult;
    await assertFixedOnce(sim, result, fleet.outputs());
    // Reads are local activities, run inside the workflow task the dead worker held: that task timed
    // out, and the new worker read getHealth again.
    assert.equal(await timedOutWorkflowTasks(handle), 1, fleet.outputs());
    const reads = (await apiRequests(sim)).filter((r) => r.path.endsWith('/getHealth'));
    assert.ok(reads.length >= 2, `getHealth read again after the kill: ${reads.length} request(s)`);
    assert.deepEqual(await retriedActivities(handle), [], 'no activity had to be retried');
  },
);

test('killed during apply: a new worker finishes, each change made once', { timeout: 240_000 }, async (t) => {
  const world = await crashWorld(env, 'port-moved', dir);
  t.after(() => world.stop());
  const { sim, fleet, handle } = world;
  // The first change (the health check PATCH) is held 3 s at "Google": the worker dies meanwhile.
  const held = await holdNextRequest(sim, 3_000, { service: 'compute', method: 'PATCH' });
  fleet.start();
  await world.alert();
  await fleet.replaceAfter(held.arrived());

  const result = (await handle.result()) as RemediationResult;
  await assertFixedOnce(sim, result, fleet.outputs());
  // The kill did land during apply: the health check's change was retried after a heartbeat timeout.
  assert.deepEqual(await retriedActivities(handle), ['applyMutation: TIMEOUT_TYPE_HEARTBEAT']);
  const patches = (await apiRequests(sim)).filter((r) => r.method === 'PATCH');
  assert.match(patches[0]?.path ?? '', /\/healthChecks\/web-hc$/, 'the held PATCH was the health check');
});
