/**
 * Manual approval end to end: the update refuses who may not approve (a key not among the plan's
 * approvers, the trigger approving its own remediation), an allowed approver's signed approval
 * proceeds, a signed rejection ends with nothing changed. Signatures and their refusals in detail:
 * signed-approval.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { SA } from '../../core/search-attributes';
import { approveSignal, approveUpdate, rejectSignal, statusQuery } from '../../workflows/definitions';
import type { RemediationResult } from '../../workflows/remediation';
import type { PendingApproval } from '../../workflows/state';
import { approversYaml, signedRequest, sshKeygen, type TestKey } from '../helpers/approvers';
import { apiRequests } from '../helpers/sim';
import { eventually } from '../helpers/sim';
import { policyDir, removeDir, startStack } from '../helpers/stack';
import { startDevServer } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
let dir: string;
let alice: TestKey;
let bob: TestKey;
let mallory: TestKey;
before(async () => {
  env = await startDevServer();
  alice = sshKeygen('alice@example.com');
  bob = sshKeygen('bob@example.com');
  mallory = sshKeygen('mallory@example.com');
  // The shipped timeout policy is manual; name who may approve (mallory is registered, not listed).
  dir = policyDir(
    {
      'backend-timeout.yaml': [
        ['  required: 1\n', '  required: 1\n  approvers: [alice@example.com, bob@example.com]\n'],
      ],
    },
    {
      'approvers.yaml': approversYaml(
        [alice, bob, mallory].map((k) => ({ name: k.name, keys: [k.publicKey] })),
      ),
    },
  );
});
after(async () => {
  await env?.teardown();
  removeDir(dir);
});

async function awaitingApproval(id: string): Promise<PendingApproval> {
  const handle = env.client.workflow.getHandle(id);
  return eventually(
    'AWAITING_APPROVAL',
    async () => {
      const s = await handle.query(statusQuery).catch(() => undefined);
      return s?.phase === 'AWAITING_APPROVAL' ? (s.approval as PendingApproval) : undefined;
    },
    30_000,
  );
}

test('manual: waits; a disallowed approver and the trigger are refused; an allowed approver proceeds', async () => {
  const stack = await startStack(env, 'backend-timeout', { policies: dir });
  try {
    const id = await stack.alert('web-bs', {}, 'bob@example.com');
    const pending = await awaitingApproval(id);
    assert.match(pending.rendered, /timeoutSec: 30 → 68/);
    const here = { workflow: id, run: pending.run, plan: pending.plan };
    const handle = env.client.workflow.getHandle(id);
    assert.ok((await handle.query(statusQuery)).approvalDeadline);
    await assert.rejects(
      handle.executeUpdate(approveUpdate, { args: [await signedRequest(mallory, here)] }),
      (err: unknown) =>
        err instanceof WorkflowUpdateFailedError &&
        /unknown key: SHA256:\S+ is not a key of this plan's approvers \(alice@example\.com, bob@example\.com\)/.test(
          String((err.cause as Error)?.message),
        ),
    );
    await assert.rejects(
      handle.executeUpdate(approveUpdate, { args: [await signedRequest(bob, here)] }),
      (err: unknown) =>
        err instanceof WorkflowUpdateFailedError &&
        /bob@example\.com triggered this remediation/.test(String((err.cause as Error)?.message)),
    );
    assert.deepEqual(
      await apiRequests(stack.sim).then((r) => r.filter((x) => x.method === 'PATCH')),
      [],
      'nothing applied while waiting',
    );
    const answer = await handle.executeUpdate(approveUpdate, {
      args: [await signedRequest(alice, { ...here, reason: 'slow report endpoint, known' })],
    });
    assert.deepEqual(answer, {
      accepted: true,
      approver: 'alice@example.com',
      key: alice.fingerprint,
      approvals: 1,
      required: 1,
      phase: 'APPROVED',
    });
    await assert.rejects(
      handle.executeUpdate(approveUpdate, { args: [await signedRequest(alice, here)] }),
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
    const pending = await awaitingApproval(id);
    const handle = env.client.workflow.getHandle(id);
    await handle.signal(
      rejectSignal,
      await signedRequest(bob, {
        workflow: id,
        run: pending.run,
        plan: pending.plan,
        decision: 'reject',
        reason: 'change freeze',
      }),
    );
    const result = (await handle.result()) as RemediationResult;
    assert.equal(result.outcome, 'REJECTED');
    assert.match(result.summary, /rejected by bob@example\.com: change freeze/);
    assert.deepEqual(result.applied, []);
    const [bs] = await stack.sim.clients.backendServices.get({
      project: stack.sim.project,
      backendService: 'web-bs',
    });
    assert.equal(Number(bs.timeoutSec), 30);
    await handle
      .signal(
        approveSignal,
        await signedRequest(alice, { workflow: id, run: pending.run, plan: pending.plan }),
      )
      .catch(() => undefined);
  } finally {
    await stack.stop();
  }
});
