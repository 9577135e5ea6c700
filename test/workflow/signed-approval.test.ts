/**
 * Approvals you can trust, end to end: a real Temporal dev server, the simulator, the real workflow,
 * keys made by this machine's ssh-keygen, a real ssh-agent, signatures by `ssh-keygen -Y sign` and by
 * `lbmedic approve`. A 2-of-2 policy applies only after two signed approvals by two registered keys;
 * every forged, replayed, stale or misdirected approval is refused with its reason, in the update's
 * answer and in history; `history --verify` checks the records afterwards and flags a tampered memo.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { operationOf, waitForOperation } from '../../activities/operations';
import { cmdApprove, cmdReject } from '../../cli/approve';
import { cmdHistory } from '../../cli/history';
import { verifyRun } from '../../cli/history-verify';
import type { Output } from '../../cli/output';
import { REMEDIATION_WORKFLOW, type ApprovalRequest } from '../../core/model';
import { SA } from '../../core/search-attributes';
import { loadConfig, type Config } from '../../runtime/config';
import { loadConfiguredPolicies } from '../../runtime/policy-loader';
import { approveSignal, approveUpdate, statusQuery } from '../../workflows/definitions';
import type { PendingApproval } from '../../workflows/state';
import type { RemediationResult } from '../../workflows/remediation';
import {
  approversYaml,
  signedRequest,
  sshKeygen,
  sshKeygenSign,
  startAgent,
  tempFile,
  type TestKey,
} from '../helpers/approvers';
import { apiRequests, eventually } from '../helpers/sim';
import { policyDir, removeDir, startStack, type Stack } from '../helpers/stack';
import { startDevServer } from '../helpers/temporal';
import type { FixtureInput } from './fixtures/approval-workflow';

let env: TestWorkflowEnvironment;
let config: Config;
let alice: TestKey;
let aliceOld: TestKey;
let bob: TestKey;
let mallory: TestKey;
let twoOfTwo: string;
let oneOfTwo: string;
/** The 2-of-2 run, whose memo the history test checks (and edits a copy of). */
let twoOfTwoRun: { workflowId: string; runId: string } | undefined;

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

before(async () => {
  env = await startDevServer();
  alice = sshKeygen('alice@example.com');
  aliceOld = sshKeygen('alice@example.com');
  bob = sshKeygen('bob@example.com', 'ecdsa');
  mallory = sshKeygen('mallory@example.com');
  const approvers = approversYaml([
    {
      name: 'alice@example.com',
      // Rotation: the old key counted until yesterday, the new one since last week.
      keys: [
        { key: aliceOld.publicKey, notAfter: iso(Date.now() - DAY) },
        { key: alice.publicKey, notBefore: iso(Date.now() - 7 * DAY) },
      ],
    },
    { name: 'bob@example.com', keys: [bob.publicKey] },
  ]);
  const manual = (required: number): [string, string][] => [
    [
      '  required: 1\n',
      `  required: ${required}\n  approvers: [alice@example.com, bob@example.com]\n  approvalTtl: 10m\n`,
    ],
  ];
  twoOfTwo = policyDir({ 'backend-timeout.yaml': manual(2) }, { 'approvers.yaml': approvers });
  oneOfTwo = policyDir({ 'backend-timeout.yaml': manual(1) }, { 'approvers.yaml': approvers });
  config = loadConfig({ TEMPORAL_ADDRESS: env.address, LBMEDIC_POLICY_DIR: twoOfTwo });
});
after(async () => {
  await env?.teardown();
  for (const d of [twoOfTwo, oneOfTwo]) if (d) removeDir(d);
});

function capture(): Output & { stdout: () => string; stderr: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    stdout: () => out.join('\n'),
    stderr: () => err.join('\n'),
  };
}

async function awaitingApproval(handle: WorkflowHandle, plan?: string): Promise<PendingApproval> {
  return eventually(
    'AWAITING_APPROVAL',
    async () => {
      const s = await handle.query(statusQuery).catch(() => undefined);
      const pending = s?.approval as PendingApproval | undefined;
      return s?.phase === 'AWAITING_APPROVAL' && pending && (!plan || pending.plan !== plan)
        ? pending
        : undefined;
    },
    60_000,
  );
}

/** The update refuses `req`, and says why. */
async function refused(handle: WorkflowHandle, req: ApprovalRequest, why: RegExp): Promise<void> {
  await assert.rejects(handle.executeUpdate(approveUpdate, { args: [req] }), (err: unknown) => {
    assert.ok(err instanceof WorkflowUpdateFailedError, String(err));
    assert.match(String((err.cause as Error)?.message), why);
    return true;
  });
}

async function timeoutSec(stack: Stack): Promise<number> {
  const [bs] = await stack.sim.clients.backendServices.get({
    project: stack.sim.project,
    backendService: 'web-bs',
  });
  return Number(bs.timeoutSec);
}

test('2-of-2: only two signed approvals by two registered keys apply; every forgery is refused with its reason', async () => {
  const stack = await startStack(env, 'backend-timeout', { policies: twoOfTwo });
  const agent = await startAgent(alice);
  const sock = process.env.SSH_AUTH_SOCK;
  try {
    const id = await stack.alert('web-bs');
    const handle = env.client.workflow.getHandle(id);
    const pending = await awaitingApproval(handle);
    const { run, plan } = pending;
    assert.match(plan, /^sha256:[0-9a-f]{64}$/);
    assert.match(pending.rendered, /timeoutSec: 30 → 68/);
    assert.match(pending.rendered, /signatures: {3}required: SSH-signed/);
    const bobs = (fields: Parameters<typeof signedRequest>[1]) => signedRequest(bob, fields);
    const here = { workflow: id, run, plan };

    // The measured case: a name typed by whoever can reach the namespace no longer approves anything.
    await refused(
      handle,
      { approver: 'alice@example.com' },
      /^unsigned: this plan takes signed approvals only/,
    );
    const asOther = capture();
    process.env.SSH_AUTH_SOCK = agent.socket;
    assert.equal(await cmdApprove([id, '--as', 'bob@example.com', '--yes'], config, asOther), 2);
    assert.match(asOther.stderr(), /none of the keys in ssh-agent .* is registered for bob@example\.com/);

    // alice approves through her ssh-agent: the CLI fills in the run and plan hash from the status query.
    const first = capture();
    assert.equal(
      await cmdApprove([id, '--yes', '--reason', 'slow report endpoint, known'], config, first),
      0,
    );
    assert.match(
      first.stdout(),
      /Approving plan sha256:[0-9a-f]{12}… as alice@example\.com, signing with SHA256:/,
    );
    assert.match(
      first.stdout(),
      new RegExp(
        `approved by alice@example\\.com with ${escape(alice.fingerprint)}: 1/2 approvals, phase AWAITING_APPROVAL$`,
      ),
    );

    // The same key again, or under bob's name, counts once: refused.
    const again = capture();
    assert.equal(await cmdApprove([id, '--key', alice.file, '--yes'], config, again), 3);
    assert.match(again.stderr(), /refused: key SHA256:\S+ has already approved \(as alice@example\.com\)/);
    await refused(
      handle,
      await signedRequest(alice, { ...here, approver: 'bob@example.com' }),
      /^wrong approver: key SHA256:\S+ is alice@example\.com's, not bob@example\.com's/,
    );
    // A key nobody registered, a key rotated out, a signature that does not match, another plan,
    // another run, a payload past its expiry or older than approvalTtl, a rejection sent as approval.
    await refused(
      handle,
      await signedRequest(mallory, { ...here, approver: 'bob@example.com' }),
      /^unknown key: SHA256:\S+ is not a key of this plan's approvers \(alice@example\.com, bob@example\.com\)/,
    );
    await refused(
      handle,
      await signedRequest(aliceOld, here),
      /^key not valid: SHA256:\S+ of alice@example\.com counted until \S+ \(rotated out\)/,
    );
    const tampered = await bobs(here);
    await refused(
      handle,
      { ...tampered, payload: tampered.payload.replace('reason:', 'reason: lgtm') },
      /^bad signature: the signature does not match the payload/,
    );
    await refused(
      handle,
      await bobs({ ...here, plan: `sha256:${'0'.repeat(64)}` }),
      /^wrong plan hash: signed sha256:0{64}, the plan waiting is sha256:/,
    );
    await refused(
      handle,
      await bobs({ ...here, run: 'another-run' }),
      new RegExp(`^wrong run: signed for run another-run, this remediation is run ${run}`),
    );
    await refused(
      handle,
      await bobs({ ...here, issued: iso(Date.now() - 3 * 3_600_000), expires: iso(Date.now() - 3_600_000) }),
      /^expired: the signature expired at/,
    );
    await refused(
      handle,
      await bobs({ ...here, issued: iso(Date.now() - 20 * 60_000), expires: iso(Date.now() + 60 * 60_000) }),
      /^expired: issued \S+, older than the policy's approvalTtl \(600s\)/,
    );
    await refused(
      handle,
      await bobs({ ...here, decision: 'reject' }),
      /^wrong decision: the payload decides reject, sent as approve/,
    );
    const otherNamespace = (await bobs(here)).payload;
    await refused(
      handle,
      { payload: otherNamespace, signature: sshKeygenSign(bob, otherNamespace, 'git') },
      /^bad signature: signed for namespace "git", not "lbmedic"/,
    );
    assert.deepEqual(
      (await apiRequests(stack.sim)).filter((x) => x.method === 'PATCH'),
      [],
      'nothing applied',
    );

    // bob signs with ssh-keygen, not lbmedic: the payload comes from --print-payload.
    const printed = capture();
    assert.equal(
      await cmdApprove(
        [id, '--print-payload', '--as', 'bob@example.com', '--reason', 'second pair of eyes'],
        config,
        printed,
      ),
      0,
    );
    const payloadFile = tempFile('payload.txt', `${printed.stdout()}\n`);
    writeFileSync(`${payloadFile}.sig`, sshKeygenSign(bob, `${printed.stdout()}\n`));
    const second = capture();
    assert.equal(
      await cmdApprove([id, '--payload', payloadFile, '--signature', `${payloadFile}.sig`], config, second),
      0,
      second.stderr(),
    );
    assert.match(
      second.stdout(),
      /approved by bob@example\.com with SHA256:\S+: 2\/2 approvals, phase APPROVED/,
    );

    const result = (await handle.result()) as RemediationResult;
    assert.equal(result.outcome, 'REMEDIATED', result.summary);
    assert.deepEqual(result.approvers, ['alice@example.com', 'bob@example.com']);
    assert.equal(await timeoutSec(stack), 68);
    const d = await handle.describe();
    twoOfTwoRun = { workflowId: id, runId: d.runId };
    assert.deepEqual(d.typedSearchAttributes.get(SA.approver), ['alice@example.com', 'bob@example.com']);
    // The memo (what the Temporal UI shows): who approved, with which key, over which plan.
    const memo = d.memo as {
      approvedPlan: string;
      approvals: { approver: string; key: string; payload: string }[];
    };
    assert.equal(memo.approvedPlan, plan);
    assert.deepEqual(
      memo.approvals.map((a) => [a.approver, a.key]),
      [
        ['alice@example.com', alice.fingerprint],
        ['bob@example.com', bob.fingerprint],
      ],
    );
    // Every refusal is in history: the recorded verdicts and the updates' failures.
    const failures = (await handle.fetchHistory()).events!.flatMap((e) => {
      const m = e.workflowExecutionUpdateCompletedEventAttributes?.outcome?.failure?.message;
      return m ? [m.split(':')[0]] : [];
    });
    assert.deepEqual(failures, [
      'unsigned',
      'key SHA256',
      'wrong approver',
      'unknown key',
      'key not valid',
      'bad signature',
      'wrong plan hash',
      'wrong run',
      'expired',
      'expired',
      'wrong decision',
      'bad signature',
    ]);
    const status = await handle.query(statusQuery);
    assert.equal((status.ignored as string[]).length, 12);
  } finally {
    if (sock === undefined) delete process.env.SSH_AUTH_SOCK;
    else process.env.SSH_AUTH_SOCK = sock;
    agent.stop();
    await stack.stop();
  }
});

test('the plan changed after the approval: refused with the new plan, which is approved in its turn', async () => {
  const stack = await startStack(env, 'backend-timeout', { policies: oneOfTwo });
  try {
    const id = await stack.alert('web-bs');
    const handle = env.client.workflow.getHandle(id);
    const before = await awaitingApproval(handle);
    // Someone raises the timeout by hand while the plan waits.
    const { clients, project } = stack.sim;
    const [bs] = await clients.backendServices.get({ project, backendService: 'web-bs' });
    const [op] = await clients.backendServices.patch({
      project,
      backendService: 'web-bs',
      backendServiceResource: { timeoutSec: 40, fingerprint: bs.fingerprint ?? '' },
    });
    await waitForOperation(clients, project, operationOf(op));
    assert.equal(await timeoutSec(stack), 40);
    const stale = capture();
    assert.equal(await cmdApprove([id, '--key', bob.file, '--yes'], config, stale), 3);
    assert.match(
      stale.stderr(),
      /^refused: wrong plan hash: the resources changed after the approval, so the plan did too; approve the new plan sha256:[0-9a-f]{64}:/,
    );
    // The new plan raises the timeout from what it is now.
    const raised = Number(/timeoutSec: 40 → (\d+)/.exec(stale.stderr())?.[1]);
    assert.ok(raised > 40, stale.stderr());
    const after = await awaitingApproval(handle, before.plan);
    assert.notEqual(after.plan, before.plan);
    assert.match(stale.stderr(), new RegExp(after.plan));
    const fresh = capture();
    assert.equal(await cmdApprove([id, '--key', alice.file, '--yes'], config, fresh), 0, fresh.stderr());
    const result = (await handle.result()) as RemediationResult;
    assert.equal(result.outcome, 'REMEDIATED', result.summary);
    assert.deepEqual(result.approvers, ['alice@example.com']);
    assert.equal(await timeoutSec(stack), raised);
  } finally {
    await stack.stop();
  }
});

test('signals follow the same rules: an unsigned or misdirected approval is ignored and recorded; a signed rejection ends it', async () => {
  const stack = await startStack(env, 'backend-timeout', { policies: oneOfTwo });
  try {
    const id = await stack.alert('web-bs');
    const handle = env.client.workflow.getHandle(id);
    const { run } = await awaitingApproval(handle);
    await handle.signal(approveSignal, { approver: 'bob@example.com' });
    await handle.signal(
      approveSignal,
      await signedRequest(bob, { workflow: id, run, plan: `sha256:${'1'.repeat(64)}` }),
    );
    const ignored = await eventually('two refusals', async () => {
      const s = await handle.query(statusQuery);
      const list = s.ignored as string[];
      return list.length === 2 ? list : undefined;
    });
    assert.match(ignored[0]!, /^approval by bob@example\.com refused: unsigned:/);
    assert.match(ignored[1]!, /^approval by bob@example\.com refused: wrong plan hash:/);
    const io = capture();
    assert.equal(
      await cmdReject([id, '--key', bob.file, '--yes', '--reason', 'change freeze'], config, io),
      0,
    );
    const result = (await handle.result()) as RemediationResult;
    assert.equal(result.outcome, 'REJECTED');
    assert.match(result.summary, /rejected by bob@example\.com: change freeze/);
    assert.equal(await timeoutSec(stack), 30);
  } finally {
    await stack.stop();
  }
});

test('history --verify passes for the runs above, and flags a memo whose approvals were edited', async () => {
  const runs = capture();
  const code = await cmdHistory(['--verify', '--since', '1h'], config, runs);
  assert.equal(code, 0, runs.stdout());
  assert.match(
    runs.stdout(),
    /^verified {2}lbmedic\/\S+\/web-bs {2}run \S+ {2}alice@example\.com SHA256:\S+, bob@example\.com SHA256:/m,
  );
  assert.match(runs.stdout(), /rejected by bob@example\.com/);
  assert.match(runs.stdout(), /^all 4 signed decision\(s\) in 3 remediation\(s\) verify$/m);

  // The memo of the 2-of-2 run, edited after the fact: the approver renamed, the reason changed.
  const real = await env.client.workflow.getHandle(twoOfTwoRun!.workflowId, twoOfTwoRun!.runId).describe();
  const registry = loadConfiguredPolicies(config).approvers;
  assert.deepEqual(
    verifyRun(real, registry).records.map((r) => r.problem),
    [undefined, undefined],
  );
  const memo = real.memo as { approvals: Record<string, unknown>[] };
  const renamed = {
    ...real,
    memo: {
      ...memo,
      approvals: [{ ...memo.approvals[0], approver: 'mallory@example.com' }, memo.approvals[1]],
    },
  };
  assert.match(
    verifyRun(renamed, registry).records[0]!.problem!,
    /^the memo does not say what was signed: approver "mallory@example\.com" ≠ signed "alice@example\.com"/,
  );
  const reasoned = {
    ...real,
    memo: { ...memo, approvals: [memo.approvals[0], { ...memo.approvals[1], reason: 'as agreed' }] },
  };
  assert.match(
    verifyRun(reasoned, registry).records[1]!.problem!,
    /reason "as agreed" ≠ signed "second pair of eyes"/,
  );

  // A closed run whose memo carries bob's genuine signature, copied from another run: flagged.
  const taskQueue = `tampered-${process.pid}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue,
    workflowsPath: fileURLToPath(new URL('./fixtures/approval-workflow.ts', import.meta.url)),
  });
  const running = worker.run();
  try {
    const project = `tampered-${process.pid}`;
    const copied = memo.approvals[1]!;
    const input: FixtureInput = {
      project,
      backendService: 'web-bs',
      incidents: [],
      mode: 'complete',
      approvedBy: ['bob@example.com'],
      memo: { approvedPlan: (real.memo as { approvedPlan: string }).approvedPlan, approvals: [copied] },
    };
    await env.client.workflow.execute(REMEDIATION_WORKFLOW, {
      taskQueue,
      workflowId: `lbmedic/${project}/web-bs`,
      args: [input],
    });
    const checked = await eventually('the copied approval listed', async () => {
      const io = capture();
      const exit = await cmdHistory(['--verify', '--project', project], config, io);
      return /FAILED/.test(io.stdout()) ? { exit, text: io.stdout() } : undefined;
    });
    assert.equal(checked.exit, 1);
    assert.match(checked.text, /^FAILED +lbmedic\/tampered-\S+\/web-bs/m);
    assert.match(
      checked.text,
      /✗ bob@example\.com: wrong workflow: signed for lbmedic\/\S+\/web-bs, this is lbmedic\/tampered-/,
    );
    assert.match(checked.text, /^1 record\(s\) do not verify/m);
  } finally {
    worker.shutdown();
    await running;
  }
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
