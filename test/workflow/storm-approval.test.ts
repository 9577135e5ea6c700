/**
 * Runs that storms cannot break (issue 14): a run waiting for a person survives 1,000 distinct
 * incidents and 12 incident ids of 240 KB sent to it, keeps waiting (no later alert makes it
 * automatic), continues as new with its pending approval when its history grows, and one signed
 * approval then applies the plan once: the pending approval names the run that asked for it (the
 * first of the chain), and a decision signed for that run verifies in the last one. And a run that is lost while it waits (terminated) makes the next run
 * of the same backend service wait for a person too.
 *
 * The dev server suggests continue-as-new from 300 history events here (the default is about 4,000
 * and 4 MB), so the storm reaches it; what the run does then is the same.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { INCIDENT_BOUNDS } from '../../core/incidents';
import { MANUAL_APPROVAL_LABEL, type Incident, type RemediationStatus } from '../../core/model';
import { alertSignal, approveUpdate, rejectSignal, statusQuery } from '../../workflows/definitions';
import type { RemediationResult } from '../../workflows/remediation';
import type { PendingApproval } from '../../workflows/state';
import { approversYaml, signedRequest, sshKeygen, type TestKey } from '../helpers/approvers';
import { eventually } from '../helpers/sim';
import { policyDir, removeDir, startStack } from '../helpers/stack';
import { startDevServer } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
let oncall: TestKey;
/** The shipped policies with oncall@example.com's key registered: approvals are signed. */
let policies: string;
before(async () => {
  env = await startDevServer({ dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 300 } });
  oncall = sshKeygen('oncall@example.com');
  policies = policyDir(
    {},
    { 'approvers.yaml': approversYaml([{ name: oncall.name, keys: [oncall.publicKey] }]) },
  );
});
after(async () => {
  await env?.teardown();
  removeDir(policies);
});

const incident = (incidentId: string, labels?: Record<string, string>): Incident => ({
  incidentId,
  state: 'open',
  source: 'test',
  receivedAt: new Date().toISOString(),
  ...(labels ? { labels } : {}),
});

async function status(workflowId: string): Promise<RemediationStatus> {
  return env.client.workflow.getHandle(workflowId).query(statusQuery);
}

/** Sends `signals` with at most `width` in flight. */
async function storm(workflowId: string, signals: Incident[], width: number): Promise<void> {
  const handle = env.client.workflow.getHandle(workflowId);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      for (let i = next++; i < signals.length; i = next++) await handle.signal(alertSignal, signals[i]!);
    }),
  );
}

/** Every run of a workflow id (a continued chain), oldest first. */
async function runsOf(workflowId: string) {
  const runs = [];
  for await (const wf of env.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(wf);
  return runs.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
}

test('a run waiting for a person survives 1,000 incidents and 12 ids of 240 KB, still waits, and one signed approval applies once', async (t) => {
  const stack = await startStack(env, 'hc-wrong-port', { policies });
  try {
    const id = await stack.alert('web-bs', {
      incidentId: 'first',
      labels: { [MANUAL_APPROVAL_LABEL]: 'manual' },
    });
    await eventually('AWAITING_APPROVAL', async () =>
      (await status(id)).phase === 'AWAITING_APPROVAL' ? true : undefined,
    );
    // A thousand distinct incidents, every fourth one carrying labels that would make a fresh run
    // automatic; then a dozen ids of 240 KB each (the signal's payload limit is 2 MB).
    const thousand = Array.from({ length: 1000 }, (_, i) =>
      incident(`storm-${i}`, i % 4 === 0 ? { [MANUAL_APPROVAL_LABEL]: 'auto', team: `t${i}` } : undefined),
    );
    const started = Date.now();
    await storm(id, thousand, 50);
    const huge = Array.from({ length: 12 }, (_, i) =>
      incident(`${String.fromCharCode(65 + i)}${'x'.repeat(240 * 1024)}`),
    );
    await storm(id, huge, 4);
    t.diagnostic(`1,012 signals delivered in ${Date.now() - started} ms`);

    const s = await eventually(
      'the storm absorbed',
      async () => {
        const st = await status(id);
        const notKept = (st.incidentsNotKept as { deliveries: number } | undefined)?.deliveries ?? 0;
        return st.incidents.length + notKept >= 1013 ? st : undefined;
      },
      60_000,
    );
    assert.equal(s.phase, 'AWAITING_APPROVAL', 'still waiting for a person');
    assert.equal(s.outcome, undefined);
    assert.equal(s.incidents.length, INCIDENT_BOUNDS.kept, 'the first incidents are kept');
    assert.deepEqual(s.incidentsNotKept, {
      deliveries: 1013 - INCIDENT_BOUNDS.kept,
      open: 1013 - INCIDENT_BOUNDS.kept,
      closed: 0,
    });
    assert.match(String(s.needsPerson), /lbmedic_approval=manual/);
    assert.ok(Number(s.continuedAsNew) >= 1, `continued as new (${String(s.continuedAsNew)} times)`);
    const plan = s.plan as { approval: { mode: string }; steps: { id: string }[] };
    assert.equal(plan.approval.mode, 'manual');
    assert.deepEqual(s.applied, []);

    // The memo is written when the workflow task that took the last signals completes; the status
    // query can answer before that.
    const d = await eventually('the memo written', async () => {
      const desc = await env.client.workflow.getHandle(id).describe();
      return desc.memo?.incidentsNotKept === 1013 - INCIDENT_BOUNDS.kept ? desc : undefined;
    });
    assert.equal(d.status.name, 'RUNNING');
    const memoIds = d.memo?.incidents as string[];
    assert.equal(memoIds.length, INCIDENT_BOUNDS.kept);
    assert.ok(memoIds.every((i) => i.length <= INCIDENT_BOUNDS.idChars));
    assert.equal(d.memo?.incidentsNotKept, 1013 - INCIDENT_BOUNDS.kept);
    assert.ok(JSON.stringify(d.memo).length < 16 * 1024, 'the memo stays small');
    t.diagnostic(`memo ${JSON.stringify(d.memo).length} bytes of JSON`);

    const runs = await runsOf(id);
    assert.ok(runs.length >= 2, `one chain of ${runs.length} runs`);
    assert.ok(runs.slice(0, -1).every((r) => r.status.name === 'CONTINUED_AS_NEW'));
    t.diagnostic(
      `${runs.length} runs in the chain; ${s.incidents.length} incidents kept, ${1013 - s.incidents.length} counted`,
    );

    // The approval waiting names the first run of the chain, which asked for it: sign for that run.
    const pending = s.approval as PendingApproval;
    assert.equal(pending.run, runs[0]!.runId, 'the pending approval names the run that asked');
    assert.notEqual(pending.run, d.runId, 'which is not the run that waits now');
    const approved = await env.client.workflow.getHandle(id).executeUpdate(approveUpdate, {
      args: [await signedRequest(oncall, { workflow: id, run: pending.run, plan: pending.plan })],
    });
    assert.equal(approved.phase, 'APPROVED');
    const result = (await env.client.workflow.getHandle(id).result()) as RemediationResult;
    assert.equal(result.outcome, 'REMEDIATED', result.summary);
    assert.deepEqual(result.approvers, ['oncall@example.com']);
    assert.deepEqual(
      result.applied,
      plan.steps.map((x) => x.id),
    );

    // Applied once: across every run of the chain, one applyMutation per step of the plan.
    let applies = 0;
    for (const run of await runsOf(id)) {
      const history = await env.client.workflow.getHandle(id, run.runId).fetchHistory();
      for (const e of history.events ?? []) {
        if (e.activityTaskScheduledEventAttributes?.activityType?.name === 'applyMutation') applies++;
      }
    }
    assert.equal(applies, plan.steps.length);
  } finally {
    await stack.stop();
  }
});

test('a run lost while it waited for a person (terminated) makes the next one wait for a person too', async () => {
  const stack = await startStack(env, 'hc-wrong-port', { policies });
  try {
    const id = await stack.alert('web-bs', {
      incidentId: 'asks',
      labels: { [MANUAL_APPROVAL_LABEL]: 'manual' },
    });
    await eventually('AWAITING_APPROVAL', async () =>
      (await status(id)).phase === 'AWAITING_APPROVAL' ? true : undefined,
    );
    await env.client.workflow.getHandle(id).terminate('lost (a test)');
    await eventually('the terminated run in visibility', async () => {
      const runs = await runsOf(id);
      return runs.some((r) => r.status.name === 'TERMINATED') ? true : undefined;
    });
    // The next alert carries no label: on its own, the shipped auto policy would apply at once.
    await stack.alert('web-bs', { incidentId: 'next' });
    const s = await eventually('the next run waiting', async () => {
      const st = await status(id);
      return st.phase === 'AWAITING_APPROVAL' || st.outcome ? st : undefined;
    });
    assert.equal(s.phase, 'AWAITING_APPROVAL', JSON.stringify(s.timeline));
    assert.match(String(s.needsPerson), /an earlier run \(.*\) ended terminated while it needed a person/);
    const pending = s.approval as PendingApproval;
    await env.client.workflow.getHandle(id).signal(
      rejectSignal,
      await signedRequest(oncall, {
        workflow: id,
        run: pending.run,
        plan: pending.plan,
        decision: 'reject',
        reason: 'test over',
      }),
    );
    const result = (await env.client.workflow.getHandle(id).result()) as RemediationResult;
    assert.equal(result.outcome, 'REJECTED');
  } finally {
    await stack.stop();
  }
});
