/**
 * The worker process dies (SIGKILL) while the remediation waits for a person, while it waits for
 * HEALTHY, and while it rolls back: a new worker finishes it, once, and no change reaches Google twice.
 * Diagnosing and applying: worker-crash.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { approveSignal, statusQuery } from '../../workflows/definitions';
import type { RemediationResult } from '../../workflows/remediation';
import type { PendingApproval } from '../../workflows/state';
import { approversYaml, signedRequest, sshKeygen } from '../helpers/approvers';
import {
  crashWorld,
  holdNextRequest,
  operationCounts,
  reachedPhase,
  retriedActivities,
} from '../helpers/crash';
import { FIX_OPERATIONS } from '../helpers/port-moved';
import { control } from '../helpers/sim';
import { policyDir, removeDir, SHORT_DEADLINE } from '../helpers/stack';
import { startDevServer } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
const dirs: string[] = [];
before(async () => {
  env = await startDevServer();
});
after(async () => {
  await env?.teardown();
  for (const d of dirs) removeDir(d);
});

function policies(edits: Parameters<typeof policyDir>[0] = {}, files: Record<string, string> = {}) {
  const d = policyDir(edits, files);
  dirs.push(d);
  return d;
}

test(
  'killed while awaiting approval: the approval sent while no worker runs is kept, a new worker applies it once',
  { timeout: 240_000 },
  async (t) => {
    const alice = sshKeygen('alice@example.com');
    const dir = policies(
      { 'backend-timeout.yaml': [['  required: 1\n', '  required: 1\n  approvers: [alice@example.com]\n']] },
      { 'approvers.yaml': approversYaml([{ name: alice.name, keys: [alice.publicKey] }]) },
    );
    const world = await crashWorld(env, 'backend-timeout', dir);
    t.after(() => world.stop());
    const { sim, fleet, handle } = world;
    fleet.start();
    await world.alert('cloud-monitoring');
    await fleet.waitFor(reachedPhase(handle, 'AWAITING_APPROVAL'));
    const pending = (await handle.query(statusQuery)).approval as PendingApproval;
    await fleet.kill();
    // Temporal keeps the signal; the workflow sees it when a worker picks the remediation up again.
    const signed = await signedRequest(alice, {
      workflow: handle.workflowId,
      run: pending.run,
      plan: pending.plan,
      reason: 'known slow endpoint',
    });
    await handle.signal(approveSignal, signed);
    fleet.start();

    const result = (await handle.result()) as RemediationResult;
    assert.equal(result.outcome, 'REMEDIATED', `${result.summary}\n${fleet.outputs()}`);
    assert.deepEqual(result.approvers, ['alice@example.com']);
    assert.deepEqual(await operationCounts(sim), { 'patch global/backendServices/web-bs': 1 });
    const [bs] = await sim.clients.backendServices.get({ project: sim.project, backendService: 'web-bs' });
    assert.ok((bs.timeoutSec ?? 0) > 30, `timeoutSec raised, is ${bs.timeoutSec}`);
  },
);

test(
  'killed while waiting for HEALTHY: a new worker takes the wait over and finishes, nothing changed twice',
  { timeout: 240_000 },
  async (t) => {
    const world = await crashWorld(env, 'port-moved', policies());
    t.after(() => world.stop());
    const { sim, fleet, handle } = world;
    // getHealth is asked twice before anything else can happen: once by the diagnosis (one instance
    // group), then by awaitHealthy's first poll. Both are held 5 s at "Google"; the worker dies while
    // the second waits, however slow the machine is.
    const held = await holdNextRequest(
      sim,
      5_000,
      { service: 'compute', method: 'POST', path: 'getHealth$' },
      2,
    );
    fleet.start();
    await world.alert();
    await fleet.replaceAfter(held.arrived());

    const result = (await handle.result()) as RemediationResult;
    assert.equal(result.outcome, 'REMEDIATED', `${result.summary}\n${fleet.outputs()}`);
    assert.deepEqual(await retriedActivities(handle), ['awaitHealthy: TIMEOUT_TYPE_HEARTBEAT']);
    assert.deepEqual(await operationCounts(sim), FIX_OPERATIONS);
  },
);

test(
  'killed while rolling back: a new worker finishes the rollback, each change and its undo made once',
  { timeout: 240_000 },
  async (t) => {
    const world = await crashWorld(env, 'firewall-missing', policies(SHORT_DEADLINE));
    t.after(() => world.stop());
    const { sim, fleet, handle } = world;
    // The app answers 500 too: opening the firewall cannot heal it, so the fix is rolled back.
    for (const name of sim.world.projects.get(sim.project)?.instances.keys() ?? []) {
      await control(sim, 'PATCH', `projects/${sim.project}/instances/${name}/app`, { status: 500 });
    }
    const [before] = await sim.clients.firewalls.list({ project: sim.project });
    fleet.start();
    await world.alert();
    await reachedPhase(handle, 'VERIFYING');
    // The rollback deletes the rule lbmedic inserted: that DELETE is held 3 s; the worker dies meanwhile.
    const held = await holdNextRequest(sim, 3_000, { service: 'compute', method: 'DELETE' });
    await fleet.replaceAfter(held.arrived());

    const result = (await handle.result()) as RemediationResult;
    assert.equal(result.outcome, 'ROLLED_BACK', `${result.summary}\n${fleet.outputs()}`);
    assert.deepEqual(await retriedActivities(handle), ['applyMutation: TIMEOUT_TYPE_HEARTBEAT']);
    assert.deepEqual(await operationCounts(sim), {
      'delete global/firewalls/lbmedic-allow-health-checks-default-8080-866a4e17': 1,
      'insert global/firewalls/lbmedic-allow-health-checks-default-8080-866a4e17': 1,
    });
    const [rules] = await sim.clients.firewalls.list({ project: sim.project });
    assert.deepEqual(
      rules.map((r) => [r.name, r.allowed]),
      before.map((r) => [r.name, r.allowed]),
      'the firewall is as it was',
    );
  },
);
