/**
 * lbmedic on a real Temporal cluster (PostgreSQL, SQL visibility, frontend, history, matching and
 * worker services as processes of their own), unchanged: two `lbmedic worker` processes and an
 * `lbmedic receiver` process given TEMPORAL_ADDRESS only. A remediation end to end, an approval by
 * update, and an alert storm deduplicated to one run per backend; nothing lost, each change once.
 * Faults (a worker, history, PostgreSQL killed mid-remediation): faults.cluster.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { demoAlert, newIncidentId } from '../../cli/demo-alert';
import { remediationWorkflowId } from '../../core/model';
import { SA } from '../../core/search-attributes';
import { approveUpdate, statusQuery } from '../../workflows/definitions';
import type { RemediationResult } from '../../workflows/remediation';
import type { PendingApproval } from '../../workflows/state';
import { approversYaml, signedRequest, sshKeygen } from '../helpers/approvers';
import { crashWorld, operationCounts, reachedPhase } from '../helpers/crash';
import { startReceiverProcess, type LbmedicProcess } from '../helpers/lbmedic-process';
import { FIX_OPERATIONS, FIX_STEPS, FIXED, portState } from '../helpers/port-moved';
import { wrongPortTiers } from '../helpers/scenarios';
import { eventually } from '../helpers/sim';
import { policyDir, removeDir } from '../helpers/stack';
import { lbmedicCli, postAlert, startTestCluster, type TestCluster } from './harness';

const TOKEN = 'cluster-test-token-0123456789';
let tc: TestCluster;
const dirs: string[] = [];
before(async () => {
  tc = await startTestCluster({ ui: true });
});
after(async () => {
  await tc?.stop();
  for (const d of dirs) removeDir(d);
});

function policies(
  edits: Parameters<typeof policyDir>[0] = {},
  extraFiles: Parameters<typeof policyDir>[1] = {},
) {
  const d = policyDir(edits, extraFiles);
  dirs.push(d);
  return d;
}

/** `lbmedic receiver` for a world's task queue and simulator, on the cluster. */
async function receiverFor(world: {
  taskQueue: string;
  sim: { url: string; project: string };
}): Promise<LbmedicProcess> {
  return startReceiverProcess({
    TEMPORAL_ADDRESS: tc.cluster.address,
    LBMEDIC_TASK_QUEUE: world.taskQueue,
    LBMEDIC_RECEIVER_TOKEN: TOKEN,
    LBMEDIC_GCP_ENDPOINT: world.sim.url,
    LBMEDIC_SCOPE: world.sim.project,
  });
}

/** The alert Cloud Monitoring sends for a backend service of `project`. */
function alertFor(project: string, backendService: string, incidentId: string) {
  return demoAlert({
    project,
    backendService,
    urlMap: `${backendService}-map`,
    incidentId,
    startedAt: Math.floor(Date.now() / 1000),
    manual: false,
    scenario: 'cluster-test',
  });
}

/** The runs of one workflow id that visibility (SQL, on PostgreSQL) lists, once it lists any. */
async function runsOf(workflowId: string) {
  return eventually(
    `${workflowId} in visibility`,
    async () => {
      const runs = [];
      for await (const wf of tc.client.workflow.list({ query: `WorkflowId = '${workflowId}'` }))
        runs.push(wf);
      return runs.length > 0 && runs.every((r) => r.status.name !== 'RUNNING') ? runs : undefined;
    },
    30_000,
  );
}

test(
  'one remediation end to end: an alert through the receiver, two workers, port-moved healed once, audited',
  { timeout: 360_000 },
  async (t) => {
    const world = await crashWorld(tc.env, 'port-moved', policies());
    t.after(() => world.stop());
    const { sim, fleet, handle } = world;
    fleet.start();
    fleet.start();
    await fleet.ready();
    const receiver = await receiverFor(world);
    t.after(() => receiver.stop());

    const incidentId = newIncidentId();
    assert.equal(await postAlert(receiver.url, TOKEN, alertFor(sim.project, 'web-bs', incidentId)), 200);
    const result = (await fleet.waitFor(handle.result())) as RemediationResult;
    assert.equal(result.outcome, 'REMEDIATED', `${result.summary}\n${fleet.outputs()}`);
    assert.deepEqual(result.applied, FIX_STEPS);
    assert.deepEqual(await operationCounts(sim), FIX_OPERATIONS, 'each change made once');
    assert.deepEqual(await portState(sim), FIXED);

    const d = await handle.describe();
    assert.deepEqual(d.memo?.incidents, [incidentId], 'the alert is attached');
    assert.equal(d.typedSearchAttributes.get(SA.outcome), 'REMEDIATED');
    assert.equal((await runsOf(world.workflowId)).length, 1, 'one run');
    // lbmedic's own command on SQL visibility, and the Web UI server on the same cluster.
    const history = JSON.parse(
      lbmedicCli(['history', '--project', sim.project, '--json'], { TEMPORAL_ADDRESS: tc.cluster.address }),
    ) as { workflowId: string; outcome: string }[];
    assert.deepEqual(
      history.map((h) => [h.workflowId, h.outcome]),
      [[world.workflowId, 'REMEDIATED']],
    );
    const ui = await fetch(
      `${tc.cluster.uiUrl}/api/v1/namespaces/default/workflows?query=${encodeURIComponent(`WorkflowId = '${world.workflowId}'`)}`,
    );
    assert.equal(ui.status, 200);
    const listed = (await ui.json()) as { executions?: { execution?: { workflowId?: string } }[] };
    assert.deepEqual(
      listed.executions?.map((e) => e.execution?.workflowId),
      [world.workflowId],
      'the UI lists it',
    );
    assert.ok(
      fleet.workers.every((w) => w.child.exitCode === null),
      'both workers still run',
    );
  },
);

test(
  'approval by update on the cluster: refused for who may not approve, applied once for who may',
  { timeout: 360_000 },
  async (t) => {
    const alice = sshKeygen('alice@example.com');
    const mallory = sshKeygen('mallory@example.com');
    const dir = policies(
      { 'backend-timeout.yaml': [['  required: 1\n', '  required: 1\n  approvers: [alice@example.com]\n']] },
      {
        'approvers.yaml': approversYaml([alice, mallory].map((k) => ({ name: k.name, keys: [k.publicKey] }))),
      },
    );
    const world = await crashWorld(tc.env, 'backend-timeout', dir);
    t.after(() => world.stop());
    const { sim, fleet, handle } = world;
    fleet.start();
    fleet.start();
    await world.alert('cloud-monitoring');
    await fleet.waitFor(reachedPhase(handle, 'AWAITING_APPROVAL'));
    const pending = (await handle.query(statusQuery)).approval as PendingApproval;
    const here = { workflow: handle.workflowId, run: pending.run, plan: pending.plan };
    await assert.rejects(
      handle.executeUpdate(approveUpdate, { args: [await signedRequest(mallory, here)] }),
      (err: unknown) =>
        err instanceof WorkflowUpdateFailedError &&
        /unknown key: SHA256:\S+ is not a key of this plan's approvers \(alice@example\.com\)/.test(
          String((err.cause as Error)?.message),
        ),
    );
    assert.deepEqual(await operationCounts(sim), {}, 'nothing changed while waiting');
    const answer = await handle.executeUpdate(approveUpdate, {
      args: [await signedRequest(alice, { ...here, reason: 'known slow endpoint' })],
    });
    assert.deepEqual(answer, {
      accepted: true,
      approver: 'alice@example.com',
      key: alice.fingerprint,
      approvals: 1,
      required: 1,
      phase: 'APPROVED',
    });

    const result = (await fleet.waitFor(handle.result())) as RemediationResult;
    assert.equal(result.outcome, 'REMEDIATED', `${result.summary}\n${fleet.outputs()}`);
    assert.deepEqual(result.approvers, ['alice@example.com']);
    assert.deepEqual(await operationCounts(sim), { 'patch global/backendServices/web-bs': 1 });
    const d = await handle.describe();
    assert.deepEqual(d.typedSearchAttributes.get(SA.approver), ['alice@example.com']);
  },
);

test(
  'an alert storm through the receiver: one run per backend, every incident attached, each change once',
  { timeout: 360_000 },
  async (t) => {
    const backends = 5;
    const incidentsPerBackend = 3;
    const notifications = 600;
    const scenarioDir = mkdtempSync(join(tmpdir(), 'lbmedic-scenario-'));
    dirs.push(scenarioDir);
    const world = await crashWorld(tc.env, wrongPortTiers(scenarioDir, backends), policies());
    t.after(() => world.stop());
    const { sim, fleet } = world;
    fleet.start();
    fleet.start();
    await fleet.ready();
    const receiver = await receiverFor(world);
    t.after(() => receiver.stop());

    // Every notification at once, 50 in flight: each backend's incidents re-delivered over and over.
    const statuses: number[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        for (let i = next++; i < notifications; i = next++) {
          const b = (i % backends) + 1;
          const incident = `storm-${b}-${Math.floor(i / backends) % incidentsPerBackend}`;
          statuses.push(await postAlert(receiver.url, TOKEN, alertFor(sim.project, `web${b}-bs`, incident)));
        }
      }),
    );
    assert.deepEqual(
      statuses.filter((s) => s !== 200),
      [],
      'every notification accepted',
    );

    const expectedOps: Record<string, number> = {};
    for (let b = 1; b <= backends; b++) {
      const workflowId = remediationWorkflowId(sim.project, `web${b}-bs`);
      const handle = tc.client.workflow.getHandle(workflowId);
      const result = (await fleet.waitFor(handle.result())) as RemediationResult;
      assert.equal(result.outcome, 'REMEDIATED', `web${b}-bs: ${result.summary}`);
      assert.equal((await runsOf(workflowId)).length, 1, `web${b}-bs: one run`);
      const d = await handle.describe();
      assert.deepEqual(
        d.memo?.incidents,
        Array.from({ length: incidentsPerBackend }, (_, k) => `storm-${b}-${k}`),
        `web${b}-bs: every incident attached, each once`,
      );
      expectedOps[`patch global/healthChecks/web${b}-hc`] = 1;
    }
    assert.deepEqual(await operationCounts(sim), expectedOps, 'each health check patched once');
    let runs = 0;
    // The project's governor (workflows/governor.ts) runs beside them; remediations are counted.
    const query = `${SA.project.name} = '${sim.project}' AND WorkflowType = 'remediationWorkflow'`;
    for await (const _ of tc.client.workflow.list({ query })) runs++;
    assert.equal(runs, backends, 'no other remediation for the project');
  },
);
