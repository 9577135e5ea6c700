/**
 * Autonomy that is earned, end to end (docs/autonomy.md): a real Temporal dev server, the simulator,
 * the real workflow and signed approvals. An `observe` policy plans and notifies and changes nothing
 * (OBSERVED); a `suggest` policy waits for a person (an approval naming no plan hash is refused)
 * until its record earns automatic mode (`promote.after: 2`), acts alone, is rolled back once, and is
 * demoted; each change of mode is notified. Then `lbmedic policies stats` and `lbmedic backtest` run
 * over exactly these recorded runs.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { readRunSummaries } from '../../activities/autonomy';
import { operationOf, waitForOperation } from '../../activities/operations';
import { backtest } from '../../cli/backtest';
import type { Output } from '../../cli/output';
import { cmdPolicyStats } from '../../cli/policy-stats';
import { renderStatus } from '../../cli/status';
import { formatPayload } from '../../core/approval-payload';
import { renderBacktest } from '../../core/backtest';
import type { RemediationStatus } from '../../core/model';
import type { Plan } from '../../core/plan';
import { loadConfig } from '../../runtime/config';
import { loadPolicies } from '../../runtime/policy-loader';
import { approveUpdate, rejectSignal, statusQuery } from '../../workflows/definitions';
import type { RemediationResult } from '../../workflows/remediation';
import type { PendingApproval } from '../../workflows/state';
import {
  approversYaml,
  FIXTURE_APPROVERS,
  signedRequest,
  sshKeygen,
  sshKeygenSign,
  type TestKey,
} from '../helpers/approvers';
import { control, eventually } from '../helpers/sim';
import { policyDir, removeDir, startStack, type Stack } from '../helpers/stack';
import { startDevServer } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
let alice: TestKey;
let dir: string;
const started = new Date(Date.now() - 60_000);

before(async () => {
  env = await startDevServer();
  alice = sshKeygen('alice@example.com');
  dir = policyDir(
    {
      'health-check-mismatch.yaml': [['mode: auto', 'mode: observe']],
      'firewall-blocks-probes.yaml': [
        ['mode: auto', 'mode: suggest\n  promote: { after: 2, maxRollbackRate: 50% }'],
        ['deadline: 10m', 'deadline: 20s'],
        ['maxPerDay: 3', 'maxPerDay: 10'],
        ['limits:', 'unsafe: { reason: runs back to back in a test, cooldown: 0s }\nlimits:'],
      ],
    },
    { 'approvers.yaml': approversYaml([{ name: alice.name, keys: [alice.publicKey] }]) },
  );
});
after(async () => {
  await env?.teardown();
  if (dir) removeDir(dir);
});

function capture(): Output & { stdout: () => string } {
  const out: string[] = [];
  return { out: (l) => out.push(l), err: (l) => out.push(l), stdout: () => out.join('\n') };
}

type Status = { phase: string; approval?: PendingApproval; plan?: Plan & { rendered?: string } };

async function awaitingApproval(handle: WorkflowHandle): Promise<Status & { approval: PendingApproval }> {
  return eventually(
    'AWAITING_APPROVAL',
    async () => {
      const s = (await handle.query(statusQuery).catch(() => undefined)) as Status | undefined;
      return s?.phase === 'AWAITING_APPROVAL' && s.approval ? { ...s, approval: s.approval } : undefined;
    },
    60_000,
  );
}

/** Visibility shows `n` closed runs with a record (the next run's record must count them). */
async function recorded(n: number): Promise<void> {
  await eventually(
    `${n} recorded runs`,
    async () => ((await readRunSummaries(env.client, started)).runs.length >= n ? true : undefined),
    30_000,
  );
}

/** Every backend of web-bs is UNHEALTHY again (the next alert must find the fault). */
async function unhealthy(stack: Stack): Promise<void> {
  const { clients, project } = stack.sim;
  const [bs] = await clients.backendServices.get({ project, backendService: 'web-bs' });
  await eventually(
    'UNHEALTHY backends',
    async () => {
      for (const b of bs.backends ?? []) {
        const [h] = await clients.backendServices.getHealth({
          project,
          backendService: 'web-bs',
          resourceGroupReferenceResource: { group: b.group ?? '' },
        });
        if ((h.healthStatus ?? []).some((s) => s.healthState === 'HEALTHY')) return undefined;
      }
      return true;
    },
    60_000,
  );
}

async function setApps(stack: Stack, status: number): Promise<void> {
  const { sim } = stack;
  for (const name of sim.world.projects.get(sim.project)?.instances.keys() ?? [])
    await control(sim, 'PATCH', `projects/${sim.project}/instances/${name}/app`, { status });
}

/** Deletes lbmedic's probe rule, so the firewall blocks the probes again. */
async function unfix(stack: Stack): Promise<void> {
  const { clients, project } = stack.sim;
  const [rules] = await clients.firewalls.list({ project });
  for (const r of rules.filter((x) => x.name?.startsWith('lbmedic-'))) {
    const [op] = await clients.firewalls.delete({ project, firewall: r.name! });
    await waitForOperation(clients, project, operationOf(op));
  }
  await unhealthy(stack);
}

let incident = 0;
const alert = (stack: Stack) => stack.alert('web-bs', { incidentId: `inc-autonomy-${++incident}` });

test('observe: diagnoses, plans and notifies, changes nothing: OBSERVED', async () => {
  const stack = await startStack(env, 'hc-wrong-port', { policies: dir });
  try {
    const { clients, project } = stack.sim;
    const [before] = await clients.healthChecks.get({ project, healthCheck: 'web-hc' });
    const id = await alert(stack);
    const result = (await env.client.workflow.getHandle(id).result()) as RemediationResult;
    assert.equal(result.outcome, 'OBSERVED', result.summary);
    assert.deepEqual(result.applied, []);
    assert.equal(result.plan?.autonomy?.mode, 'observe');
    assert.match(result.summary, /observe: policy health-check-mismatch/);
    const [afterHc] = await clients.healthChecks.get({ project, healthCheck: 'web-hc' });
    assert.deepEqual(afterHc.httpHealthCheck, before.httpHealthCheck, 'the health check is as it was');
    const told = stack.notifications.find((n) => n.outcome === 'OBSERVED');
    assert.match(
      String(told?.details),
      /mode: {9}observe: policy health-check-mismatch \(diagnose, plan and notify/,
    );
    await recorded(1);
  } finally {
    await stack.stop();
  }
});

test('suggest earns auto after 2 verified runs, acts alone, is rolled back once and demoted', async () => {
  const stack = await startStack(env, 'firewall-missing', { policies: dir });
  try {
    // Two runs wait for a person; the first also refuses an approval that names no plan hash.
    for (const n of [0, 1]) {
      const id = await alert(stack);
      const handle = env.client.workflow.getHandle(id);
      const s = await awaitingApproval(handle);
      assert.match(
        String(s.plan?.autonomy?.why),
        new RegExp(`^suggest: policy firewall-blocks-probes, not earned yet: ${n}/2 verified`),
      );
      assert.match(String(s.plan?.rendered), /mode: {9}suggest: policy firewall-blocks-probes/);
      // `lbmedic status` shows the mode and why among the headline fields.
      assert.match(
        renderStatus((await handle.query(statusQuery)) as RemediationStatus),
        /^ {2}mode {13}suggest: policy firewall-blocks-probes, not earned yet/m,
      );
      if (n === 0) {
        const withPlan = formatPayload({
          workflow: id,
          run: s.approval.run,
          plan: s.approval.plan,
          decision: 'approve',
          approver: alice.name,
          reason: '',
          issued: new Date().toISOString(),
          expires: new Date(Date.now() + 600_000).toISOString(),
        });
        const payload = withPlan.replace(/^plan: .*\n/m, '');
        await assert.rejects(
          handle.executeUpdate(approveUpdate, {
            args: [{ payload, signature: sshKeygenSign(alice, payload) }],
          }),
          (err: unknown) => {
            assert.ok(err instanceof WorkflowUpdateFailedError, String(err));
            assert.match(
              String((err.cause as Error)?.message),
              /^wrong plan hash: the approval names no plan hash: sign the payload with the line "plan: sha256:[0-9a-f]{64}"/,
            );
            return true;
          },
        );
      }
      const req = await signedRequest(alice, { workflow: id, run: s.approval.run, plan: s.approval.plan });
      await handle.executeUpdate(approveUpdate, { args: [req] });
      const result = (await handle.result()) as RemediationResult;
      assert.equal(result.outcome, 'REMEDIATED', result.summary);
      await recorded(2 + n);
      await unfix(stack);
    }

    // Earned: the third run acts alone. The apps answer 500, so the fix does not heal: rolled back.
    await setApps(stack, 500);
    const third = env.client.workflow.getHandle(await alert(stack));
    const rolled = (await third.result()) as RemediationResult;
    assert.equal(rolled.outcome, 'ROLLED_BACK', rolled.summary);
    assert.deepEqual(rolled.approvers, []);
    assert.match(String(rolled.plan?.autonomy?.why), /^auto: earned, 2\/2 verified since the last rollback/);
    const promoted = stack.notifications.find((n) =>
      /mode changed: .*promoted from suggest to auto/.test(n.summary),
    );
    assert.ok(promoted, 'the promotion is notified');
    const memo = (await third.describe()).memo;
    assert.match(
      String((memo?.modeChanges as string[])?.[0]),
      /firewall-blocks-probes promoted from suggest to auto/,
    );
    await recorded(4);

    // One rollback demotes it: the next run waits for a person again, and says why.
    await setApps(stack, 200);
    await unhealthy(stack);
    const fourth = env.client.workflow.getHandle(await alert(stack));
    const s = await awaitingApproval(fourth);
    assert.match(
      String(s.plan?.autonomy?.why),
      /^suggest: policy firewall-blocks-probes, not earned yet: 0\/2 verified/,
    );
    await eventually('the demotion notified', async () =>
      stack.notifications.find((n) => /demoted from auto to suggest/.test(n.summary)),
    );
    const req = await signedRequest(alice, {
      workflow: fourth.workflowId,
      run: s.approval.run,
      plan: s.approval.plan,
      decision: 'reject',
    });
    await fourth.signal(rejectSignal, req);
    assert.equal(((await fourth.result()) as RemediationResult).outcome, 'REJECTED');
    await recorded(5);
  } finally {
    await stack.stop();
  }
});

test('policies stats and backtest over the runs above', async (t) => {
  const config = loadConfig({ TEMPORAL_ADDRESS: env.address });
  const io = capture();
  assert.equal(await cmdPolicyStats(['--since', '1d'], config, io), 0);
  // The tables as printed, for docs/autonomy.md.
  t.diagnostic(io.stdout());
  const lines = io.stdout().split('\n');
  assert.match(
    lines[0]!,
    /^policy\s+runs\s+applied\s+verified\s+rolled back\s+collateral\s+escalated\s+observed\s+streak\s+success$/,
  );
  assert.match(io.stdout(), /^firewall-blocks-probes\s+4\s+3\s+2\s+1\s+0\s+0\s+0\s+0\s+67%$/m);
  assert.match(io.stdout(), /^health-check-mismatch\s+1\s+0\s+0\s+0\s+0\s+0\s+1\s+0\s+-$/m);

  // The policies the runs were decided with: every decision is the same.
  const same = await backtest(env.client, loadPolicies(dir, { approverFiles: [FIXTURE_APPROVERS] }), started);
  assert.equal(same.length, 5);
  assert.match(renderBacktest(same, '1d'), /^0 of 5 decision\(s\) would differ, 5 the same/m);
  // The shipped policies (both automatic): the observed and the suggested runs would have applied.
  const shippedDir = policyDir();
  const shipped = await backtest(
    env.client,
    loadPolicies(shippedDir, { approverFiles: [FIXTURE_APPROVERS] }),
    started,
  );
  removeDir(shippedDir);
  const text = renderBacktest(shipped, '1d');
  t.diagnostic(text);
  assert.match(text, /^4 of 5 decision\(s\) would differ, 1 the same/m);
  assert.match(text, /mode: {2}observe → auto/);
  assert.equal((text.match(/mode: {2}suggest → auto/g) ?? []).length, 3);
  for (const row of shipped) assert.equal(row.diff?.cause, undefined, 'the causes are the same');
});
