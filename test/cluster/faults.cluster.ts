/**
 * Parts of a production deployment dying mid-remediation, on a real Temporal cluster: one of two
 * `lbmedic worker` processes SIGKILLed while its change is on its way to Google; the history service
 * killed and started again; PostgreSQL crashed (immediate shutdown) and started again. Each time the
 * remediation finishes with every change made exactly once, and the lbmedic processes that were not
 * killed ride it out. The same on the dev server: test/workflow/worker-crash*.test.ts and
 * server-restart.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ClusterPart } from '../../runtime/cluster';
import type { RemediationResult } from '../../workflows/remediation';
import {
  crashWorld,
  holdNextRequest,
  operationCounts,
  retriedActivities,
  type CrashWorld,
} from '../helpers/crash';
import { FIX_OPERATIONS, FIX_STEPS, FIXED, portState } from '../helpers/port-moved';
import { policyDir, removeDir } from '../helpers/stack';
import { startTestCluster, type TestCluster } from './harness';

let tc: TestCluster;
let dir: string;
before(async () => {
  tc = await startTestCluster();
  dir = policyDir();
});
after(async () => {
  await tc?.stop();
  if (dir) removeDir(dir);
});

/** port-moved with two workers running; the world is stopped after the test. */
async function twoWorkers(t: { after(fn: () => Promise<void>): void }): Promise<CrashWorld> {
  const world = await crashWorld(tc.env, 'port-moved', dir);
  t.after(() => world.stop());
  world.fleet.start();
  world.fleet.start();
  return world;
}

/** port-moved's fix, each change exactly once, and the world it leaves. */
async function assertFixedOnce(world: CrashWorld) {
  const result = (await world.fleet.waitFor(world.handle.result())) as RemediationResult;
  assert.equal(result.outcome, 'REMEDIATED', `${result.summary}\n${world.fleet.outputs()}`);
  assert.deepEqual(result.applied, FIX_STEPS);
  assert.deepEqual(await operationCounts(world.sim), FIX_OPERATIONS, 'each change made once');
  assert.deepEqual(await portState(world.sim), FIXED);
  const d = await world.handle.describe();
  assert.equal((d.memo?.incidents as string[] | undefined)?.length, 1, 'the alert is attached');
}

test(
  'two workers, the one applying SIGKILLed mid-apply: the other finishes, each change once',
  { timeout: 360_000 },
  async (t) => {
    const world = await twoWorkers(t);
    const { sim, fleet, handle } = world;
    // The first change (the health check PATCH) is held 5 s at "Google"; its worker dies meanwhile.
    const held = await holdNextRequest(sim, 5_000, { service: 'compute', method: 'PATCH' });
    await world.alert();
    await fleet.waitFor(held.arrived());
    const pending = (await handle.describe()).raw.pendingActivities ?? [];
    const identity = pending[0]?.lastWorkerIdentity ?? '';
    // The SDK's worker identity is "<pid>@<host>".
    const victim = fleet.workers.find((w) => identity.startsWith(`${w.child.pid}@`));
    assert.ok(victim, `the applying worker (${identity}) is one of ours`);
    victim.child.kill('SIGKILL');
    await victim.exited;

    await assertFixedOnce(world);
    assert.deepEqual(await retriedActivities(handle), ['applyMutation: TIMEOUT_TYPE_HEARTBEAT']);
    const survivor = fleet.workers.find((w) => w !== victim);
    assert.equal(survivor?.child.exitCode, null, 'the other worker finished it and still runs');
    assert.equal(fleet.workers.length, 2, 'no worker was started to replace it');
  },
);

/**
 * Crashes `part` while port-moved's second change (the named port) is held 5 s at "Google", starts
 * it again 3 s later, and checks that the remediation finished with each change once and that both
 * workers rode it out.
 */
async function crashMidApply(t: { after(fn: () => Promise<void>): void }, part: ClusterPart) {
  const world = await twoWorkers(t);
  const { sim, fleet } = world;
  const held = await holdNextRequest(sim, 5_000, {
    service: 'compute',
    method: 'POST',
    path: 'setNamedPorts$',
  });
  await world.alert();
  await fleet.waitFor(held.arrived());
  await tc.cluster.stopPart(part, 'kill');
  await new Promise((r) => setTimeout(r, 3_000));
  await tc.cluster.startPart(part);

  await assertFixedOnce(world);
  assert.ok(
    fleet.workers.every((w) => w.child.exitCode === null && w.child.signalCode === null),
    `both workers rode it out\n${fleet.outputs()}`,
  );
}

test(
  'the history service killed and started again mid-apply: the remediation finishes, each change once',
  { timeout: 360_000 },
  async (t) => crashMidApply(t, 'history'),
);

test(
  'PostgreSQL crashed and started again mid-apply: the remediation finishes, each change once',
  { timeout: 360_000 },
  async (t) => crashMidApply(t, 'postgres'),
);
