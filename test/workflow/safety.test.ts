/**
 * The remediation's own safety edges end to end (real dev server, the simulator, the real Google
 * clients, the real workflows): the scope checked again by the run, on the worker's config, before
 * anything changes, and after a wait for approval; fresh evidence after a verified fix.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { scopeOfProjects } from '../../core/scope';
import { SA } from '../../core/search-attributes';
import { approveUpdate, statusQuery } from '../../workflows/definitions';
import type { RemediationResult } from '../../workflows/remediation';
import type { PendingApproval } from '../../workflows/state';
import { approversYaml, signedRequest, sshKeygen } from '../helpers/approvers';
import { mutationsOf } from '../helpers/port-moved';
import { apiRequests, eventually } from '../helpers/sim';
import { policyDir, removeDir, startStack } from '../helpers/stack';
import { startDevServer } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
before(async () => {
  env = await startDevServer();
});
after(async () => {
  await env?.teardown();
});

test('a run started directly for a project or network outside the worker’s scope: OUT_OF_SCOPE, nothing changed', async () => {
  const cases = [
    {
      scope: () => scopeOfProjects(['shop-prod']),
      why: /project e2e-\S+ is not in lbmedic's scope \(projects shop-prod\)/,
    },
    {
      scope: (project: string) => ({ ...scopeOfProjects([project]), networks: ['prod-vpc'] }),
      why: /network default is not in lbmedic's scope \(networks prod-vpc\)/,
    },
  ];
  for (const { scope, why } of cases) {
    const stack = await startStack(env, 'port-moved', { scope });
    try {
      // As a person (or a script) could, past the receiver: straight to Temporal.
      const id = await stack.alert('web-bs');
      const result = (await env.client.workflow.getHandle(id).result()) as RemediationResult;
      assert.equal(result.outcome, 'OUT_OF_SCOPE', result.summary);
      assert.match(result.summary, /^outside lbmedic's scope: /);
      assert.match(result.summary, why);
      assert.match(result.summary, /; nothing was changed$/);
      assert.deepEqual(result.applied, []);
      assert.deepEqual(mutationsOf(await apiRequests(stack.sim)), [], 'no mutation reached the simulator');
      const d = await env.client.workflow.getHandle(id).describe();
      assert.equal(d.typedSearchAttributes.get(SA.outcome), 'OUT_OF_SCOPE');
      assert.equal(stack.notifications.at(-1)?.outcome, 'OUT_OF_SCOPE', 'people are told');
    } finally {
      await stack.stop();
    }
  }
});

test('the scope narrowed while a run waits for approval: the approval applies nothing, OUT_OF_SCOPE', async () => {
  // backend-timeout's shipped policy asks a person; alice is a registered approver.
  const alice = sshKeygen('alice@example.com');
  const dir = policyDir(
    {},
    { 'approvers.yaml': approversYaml([{ name: alice.name, keys: [alice.publicKey] }]) },
  );
  const stack = await startStack(env, 'backend-timeout', { policies: dir });
  try {
    const id = await stack.alert('web-bs');
    const handle = env.client.workflow.getHandle(id);
    const pending = await eventually(
      'AWAITING_APPROVAL',
      async () => {
        const s = await handle.query(statusQuery).catch(() => undefined);
        return s?.phase === 'AWAITING_APPROVAL' ? (s.approval as PendingApproval) : undefined;
      },
      60_000,
    );
    // A deployment with a narrower scope: web-bs is excluded from now on.
    await stack.restartWorker({
      scope: {
        ...scopeOfProjects([stack.sim.project]),
        backendServices: { include: [], exclude: ['web-*'] },
      },
    });
    const signed = await signedRequest(alice, { workflow: id, run: pending.run, plan: pending.plan });
    await handle.executeUpdate(approveUpdate, { args: [signed] });
    const result = (await handle.result()) as RemediationResult;
    assert.equal(result.outcome, 'OUT_OF_SCOPE', result.summary);
    assert.match(
      result.summary,
      /backend service web-bs is excluded from lbmedic's scope \(web-\*\); nothing was changed/,
    );
    assert.deepEqual(mutationsOf(await apiRequests(stack.sim)), [], 'the approved change was not made');
  } finally {
    await stack.stop();
    removeDir(dir);
  }
});

test('a repeated alert right after a verified fix reads only the log since the fix: NO_FAULT, not ESCALATED', async () => {
  // Simulated time a tenth of real time: traffic comes ten times faster than the scenario's 5/s,
  // so the newest thousand log entries the diagnosis samples still reach back before the fix (at
  // the harness's default hundredfold speed they are all from after it, which proves nothing).
  const stack = await startStack(env, 'port-moved', { timeScale: 0.1 });
  try {
    const startedAt = Math.floor(Date.now() / 1000) - 60;
    const id = await stack.alert('web-bs', { incidentId: 'inc-first', startedAt });
    const first = (await env.client.workflow.getHandle(id).result()) as RemediationResult;
    assert.equal(first.outcome, 'REMEDIATED', first.summary);
    // The same symptoms alerted again (another incident of the same policy, begun before the fix):
    // the LB log still holds the 502s from before the fix, inside the 10-minute window.
    await stack.alert('web-bs', { incidentId: 'inc-again', startedAt });
    const again = (await env.client.workflow.getHandle(id).result()) as RemediationResult;
    assert.equal(again.outcome, 'NO_FAULT', again.summary);
    assert.equal(
      mutationsOf(await apiRequests(stack.sim)).length,
      3,
      'the first run’s three changes, nothing more',
    );
  } finally {
    await stack.stop();
  }
});
