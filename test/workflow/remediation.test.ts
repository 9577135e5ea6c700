/**
 * The remediation workflow end to end: real dev server, the simulator, the real Google clients.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import type { DecideInput } from '../../activities/decide';
import { REMEDIATION_WORKFLOW, remediationWorkflowId } from '../../core/model';
import { SA } from '../../core/search-attributes';
import { workflowBundle } from '../../runtime/bundle';
import { scopeOfProjects } from '../../core/scope';
import { shippedPolicies } from '../helpers/approvers';
import { WORKFLOWS_PATH } from '../../runtime/worker';
import type { RemediationResult } from '../../workflows/remediation';
import { FIX_STEPS, FIXED, mutationsOf, portState } from '../helpers/port-moved';
import { apiRequests, control, startSim } from '../helpers/sim';
import { policyDir, removeDir, SHORT_DEADLINE, startStack } from '../helpers/stack';
import { startDevServer } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
before(async () => {
  env = await startDevServer();
});
after(async () => {
  await env?.teardown();
});

test('port-moved with auto policies: fixed as one unit, HEALTHY, REMEDIATED, audited', async () => {
  const stack = await startStack(env, 'port-moved');
  try {
    const id = await stack.alert('web-bs');
    const result = (await env.client.workflow.getHandle(id).result()) as RemediationResult;
    assert.equal(result.outcome, 'REMEDIATED', result.summary);
    assert.deepEqual([...result.rootCauses].sort(), [
      'FIREWALL_BLOCKS_PROBES',
      'HEALTH_CHECK_MISMATCH',
      'NAMED_PORT_MISMATCH',
    ]);
    assert.deepEqual(result.applied, FIX_STEPS);
    assert.deepEqual(await portState(stack.sim), FIXED);
    assert.equal(mutationsOf(await apiRequests(stack.sim)).length, 3, 'three mutations, each once');

    const d = await env.client.workflow.getHandle(id).describe();
    assert.equal(d.typedSearchAttributes.get(SA.outcome), 'REMEDIATED');
    assert.deepEqual(
      d.typedSearchAttributes.get(SA.rootCause)?.slice().sort(),
      result.rootCauses.slice().sort(),
    );
    assert.deepEqual(d.typedSearchAttributes.get(SA.action)?.slice().sort(), [
      'insertFirewall',
      'patchHealthCheck',
      'setNamedPorts',
    ]);
    assert.equal(d.typedSearchAttributes.get(SA.backendService), 'web-bs');
    assert.equal(d.typedSearchAttributes.get(SA.project), stack.sim.project);
    assert.match(String(d.memo?.summary), /^REMEDIATED: /);
    assert.deepEqual(
      stack.notifications.map((n) => n.outcome ?? n.phase),
      ['DIAGNOSING', 'SNAPSHOT', 'APPLYING', 'VERIFYING', 'REMEDIATED'],
      'a notification on each transition',
    );
  } finally {
    await stack.stop();
  }
});

test('dry-run (kill switch): the plan is recorded and nothing changes', async () => {
  const dir = policyDir({ 'settings.yaml': [['killSwitch: false', 'killSwitch: true']] });
  const stack = await startStack(env, 'port-moved', { policies: dir });
  try {
    const id = await stack.alert('web-bs');
    const result = (await env.client.workflow.getHandle(id).result()) as RemediationResult;
    assert.equal(result.outcome, 'DRY_RUN');
    assert.equal(result.plan?.steps.length, 3);
    assert.deepEqual(mutationsOf(await apiRequests(stack.sim)), []);
    const d = await env.client.workflow.getHandle(id).describe();
    assert.match(String(d.memo?.plan), /httpHealthCheck\.port: 8080 → 9090/);
  } finally {
    await stack.stop();
    removeDir(dir);
  }
});

test('a fix that does not heal (the app is down too): rolled back to the snapshot, ROLLED_BACK', async () => {
  const dir = policyDir(SHORT_DEADLINE);
  const stack = await startStack(env, 'firewall-missing', { policies: dir });
  try {
    const { sim } = stack;
    for (const name of sim.world.projects.get(sim.project)?.instances.keys() ?? []) {
      await control(sim, 'PATCH', `projects/${sim.project}/instances/${name}/app`, { status: 500 });
    }
    const before = await sim.clients.firewalls.list({ project: sim.project });
    const id = await stack.alert('web-bs');
    const result = (await env.client.workflow.getHandle(id).result()) as RemediationResult;
    assert.equal(result.outcome, 'ROLLED_BACK', result.summary);
    assert.deepEqual(result.applied, ['firewall/lbmedic-allow-health-checks-default-8080-866a4e17']);
    const afterRules = await sim.clients.firewalls.list({ project: sim.project });
    assert.deepEqual(
      afterRules[0].map((r) => [r.name, r.allowed]),
      before[0].map((r) => [r.name, r.allowed]),
      'the firewall is as it was',
    );
    const d = await env.client.workflow.getHandle(id).describe();
    assert.equal(d.typedSearchAttributes.get(SA.outcome), 'ROLLED_BACK');
  } finally {
    await stack.stop();
    removeDir(dir);
  }
});

test('a bug before any change fails the workflow task, not the run: the fixed worker finishes it', async () => {
  const sim = await startSim('port-moved', { project: `e2e-${process.pid}-bug` });
  const taskQueue = `bug-${process.pid}`;
  const activities = createActivities({
    clients: sim.clients,
    policies: shippedPolicies(),
    scope: scopeOfProjects([sim.project]),
    temporal: env.client,
    probeAllowedRanges: ['127.0.0.0/8'],
    notify: { writeLine: () => undefined },
  });
  // Deciding is broken until a fixed worker is deployed: every attempt of the first task fails.
  let calls = 0;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { code: await workflowBundle(WORKFLOWS_PATH) },
    activities: {
      ...activities,
      async decide(input: DecideInput) {
        if (++calls <= 2) throw new TypeError("Cannot read properties of undefined (reading 'port')");
        return activities.decide(input);
      },
    },
  });
  try {
    const workflowId = remediationWorkflowId(sim.project, 'web-bs');
    const result = await worker.runUntil(
      env.client.workflow.execute(REMEDIATION_WORKFLOW, {
        workflowId,
        taskQueue,
        args: [{ project: sim.project, backendService: 'web-bs', incidents: [] }],
      }) as Promise<RemediationResult>,
    );
    assert.equal(result.outcome, 'REMEDIATED', result.summary);
    assert.deepEqual(result.applied, FIX_STEPS);
    const events = (await env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    const failedTasks = events.flatMap((e) => e.workflowTaskFailedEventAttributes?.failure?.message ?? []);
    assert.deepEqual(failedTasks, ["deciding failed: Cannot read properties of undefined (reading 'port')"]);
    assert.equal(calls, 3, 'two failed attempts, then the decision the run recorded');
  } finally {
    await sim.stop();
  }
});
