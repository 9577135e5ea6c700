/**
 * Manual approval end to end: the update refuses who may not approve, an allowed approver proceeds,
 * a rejection ends with nothing changed.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { SA } from '../../core/search-attributes';
import { approveSignal, approveUpdate, rejectSignal, statusQuery } from '../../workflows/definitions';
import type { RemediationResult } from '../../workflows/remediation';
import { apiRequests } from '../helpers/sim';
import { eventually } from '../helpers/sim';
import { policyDir, removeDir, startStack } from '../helpers/stack';
import { startDevServer } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
let dir: string;
before(async () => {
  env = await startDevServer();
  // The shipped timeout policy is manual; name who may approve, and ask for it within 1h.
  dir = policyDir({
    'backend-timeout.yaml': [
      ['  required: 1\n', '  required: 1\n  approvers: [alice@example.com, bob@example.com]\n'],
    ],
  });
});
after(async () => {
  await env?.teardown();
  removeDir(dir);
});

async function awaitingApproval(id: string) {
  const handle = env.client.workflow.getHandle(id);
  return eventually(
    'AWAITING_APPROVAL',
    async () => {
      const s = await handle.query(statusQuery).catch(() => undefined);
      return s?.phase === 'AWAITING_APPROVAL' ? s : undefined;
    },
    30_000,
  );
}

test('manual: waits; a disallowed approver and the trigger are refused; an allowed approver proceeds', async () => {
  const stack = await startStack(env, 'backend-timeout', { policies: dir });
  try {
    const id = await stack.alert('web-bs', {}, 'bob@example.com');
    const status = await awaitingApproval(id);
    assert.match(String((status.plan as { rendered?: string }).rendered), /timeoutSec: 30 → 68/);
    assert.ok(status.approvalDeadline);
    const handle = env.client.workflow.getHandle(id);
    await assert.rejects(
      handle.executeUpdate(approveUpdate, { args: [{ approver: 'mallory@example.com' }] }),
      (err: unknown) =>
        err instanceof WorkflowUpdateFailedError &&
        /mallory@example\.com may not approve/.test(String((err.cause as Error)?.message)),
    );
    await assert.rejects(
      handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob@example.com' }] }),
      (err: unknown) =>
        err instanceof WorkflowUpdateFailedError &&
        /triggered this remediation/.test(String((err.cause as Error)?.message)),
    );
    assert.deepEqual(
      await apiRequests(stack.sim).then((r) => r.filter((x) => x.method === 'PATCH')),
      [],
      'nothing applied while waiting',
    );
    const answer = await handle.executeUpdate(approveUpdate, {
      args: [{ approver: 'alice@example.com', reason: 'slow report endpoint, known' }],
    });
    assert.deepEqual(answer, { accepted: true, approvals: 1, required: 1, phase: 'APPROVED' });
    await assert.rejects(
      handle.executeUpdate(approveUpdate, { args: [{ approver: 'alice@example.com' }] }),
      (err: unknown) =>
        err instanceof WorkflowUpdateFailedError &&
        /already decided|nothing to approve|already approved/.test(String((err.cause as Error)?.message)),
    );
    const result = (await handle.result()) as RemediationResult;
    assert.equal(result.outcome, 'REMEDIATED', result.summary);
    assert.deepEqual(result.approvers, ['alice@example.com']);
    const [bs] = await stack.sim.clients.backendServices.get({
      project: stack.sim.project,
      backendService: 'web-bs',
    });
    assert.equal(Number(bs.timeoutSec), 68);
    const d = await handle.describe();
    assert.deepEqual(d.typedSearchAttributes.get(SA.approver), ['alice@example.com']);
  } finally {
    await stack.stop();
  }
});

test('manual: reject ends the remediation with nothing changed; a signal approval after it is ignored', async () => {
  const stack = await startStack(env, 'backend-timeout', { policies: dir });
  try {
    const id = await stack.alert('web-bs');
    await awaitingApproval(id);
    const handle = env.client.workflow.getHandle(id);
    await handle.signal(rejectSignal, { approver: 'bob@example.com', reason: 'change freeze' });
    const result = (await handle.result()) as RemediationResult;
    assert.equal(result.outcome, 'REJECTED');
    assert.match(result.summary, /rejected by bob@example\.com: change freeze/);
    assert.deepEqual(result.applied, []);
    const [bs] = await stack.sim.clients.backendServices.get({
      project: stack.sim.project,
      backendService: 'web-bs',
    });
    assert.equal(Number(bs.timeoutSec), 30);
    await handle.signal(approveSignal, { approver: 'alice@example.com' }).catch(() => undefined);
  } finally {
    await stack.stop();
  }
});
