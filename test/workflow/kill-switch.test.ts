/**
 * The kill switch (issue 14), through the commands a person uses (`lbmedic pause`, `resume`,
 * `status`), a real Temporal dev server, a worker and the GCP simulator with two broken web tiers:
 * - a run that waits for approval when the project is paused is approved, and then waits in PAUSED
 *   instead of applying; a run that starts after the pause plans, and waits too;
 * - the pause shows in `status` and in the Temporal UI's search attributes, and survives a worker
 *   restart (the new worker reads the switches again and still holds both runs);
 * - resume lets both go on, and they fix their backends.
 * How long the pause took to take effect is printed, not asserted.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { cmdPause, cmdResume } from '../../cli/pause';
import { cmdStatus } from '../../cli/status';
import {
  killSwitchWorkflowId,
  MANUAL_APPROVAL_LABEL,
  REMEDIATION_WORKFLOW,
  remediationWorkflowId,
  type RemediationStatus,
} from '../../core/model';
import { SA } from '../../core/search-attributes';
import { loadConfig } from '../../runtime/config';
import { DEFAULT_POLICY_DIR, loadPolicies } from '../../runtime/policy-loader';
import { createWorker } from '../../runtime/worker';
import { alertSignal, approveUpdate, statusQuery } from '../../workflows/definitions';
import type { RemediationResult } from '../../workflows/remediation';
import type { PendingApproval } from '../../workflows/state';
import { approversYaml, signedRequest, sshKeygen, tempFile, type TestKey } from '../helpers/approvers';
import { wrongPortTiers } from '../helpers/scenarios';
import { scopeOfProjects } from '../../core/scope';
import { eventually, startSim, type SimHarness } from '../helpers/sim';
import { removeDir } from '../helpers/stack';
import { startDevServer } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
let dir: string;
/** The registered approver (approvals are signed), and the approvers file that registers her. */
let alice: TestKey;
let approvers: string;
before(async () => {
  env = await startDevServer();
  dir = mkdtempSync(join(tmpdir(), 'lbmedic-kill-switch-'));
  alice = sshKeygen('alice@example.com');
  approvers = tempFile('approvers.yaml', approversYaml([{ name: alice.name, keys: [alice.publicKey] }]));
});
after(async () => {
  await env?.teardown();
  removeDir(dir);
});

async function runningWorker(taskQueue: string, sim: SimHarness) {
  const worker: Worker = await createWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue,
    clients: sim.clients,
    policies: loadPolicies(DEFAULT_POLICY_DIR, { approverFiles: [approvers] }),
    scope: scopeOfProjects([sim.project]),
    temporal: env.client,
    probeAllowedRanges: ['127.0.0.0/8'],
    notify: { writeLine: () => undefined },
  });
  const running = worker.run();
  return {
    async stop() {
      worker.shutdown();
      await running;
    },
  };
}

/** What a command printed, and its exit code. */
async function lbmedic(
  cmd: typeof cmdPause,
  args: string[],
  config: ReturnType<typeof loadConfig>,
): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await cmd(args, config, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
  return { code, out: lines.join('\n') };
}

const status = (id: string): Promise<RemediationStatus> =>
  env.client.workflow.getHandle(id).query(statusQuery);

async function phaseOf(id: string, phase: string): Promise<RemediationStatus> {
  return eventually(
    `${id} in ${phase}`,
    async () => {
      const s = await status(id);
      if (s.outcome) throw new Error(`${id} ended ${String(s.outcome)}: ${JSON.stringify(s.timeline)}`);
      return s.phase === phase ? s : undefined;
    },
    60_000,
  );
}

test('lbmedic pause holds runs before they change anything, survives a worker restart, and resume lets them go on', async (t) => {
  const project = `ks-${process.pid}`;
  const sim = await startSim(wrongPortTiers(dir, 2, 1, 1), { project });
  const taskQueue = `ks-${process.pid}`;
  const config = loadConfig({ TEMPORAL_ADDRESS: env.address, LBMEDIC_TASK_QUEUE: taskQueue });
  let worker = await runningWorker(taskQueue, sim);
  const alert = async (bs: string, labels?: Record<string, string>) => {
    const workflowId = remediationWorkflowId(project, bs);
    await env.client.workflow.signalWithStart(REMEDIATION_WORKFLOW, {
      workflowId,
      taskQueue,
      args: [{ project, backendService: bs, incidents: [] }],
      signal: alertSignal,
      signalArgs: [
        {
          incidentId: `inc-${bs}`,
          state: 'open',
          source: 'test',
          receivedAt: new Date().toISOString(),
          ...(labels ? { labels } : {}),
        },
      ],
    });
    return workflowId;
  };
  const healthCheckPort = async (hc: string) => {
    const [check] = await sim.clients.healthChecks.get({ project, healthCheck: hc });
    return check.httpHealthCheck?.port;
  };
  try {
    // web1 waits for a person before anyone pauses.
    const web1 = await alert('web1-bs', { [MANUAL_APPROVAL_LABEL]: 'manual' });
    await phaseOf(web1, 'AWAITING_APPROVAL');

    const pausedAt = Date.now();
    const pause = await lbmedic(
      cmdPause,
      ['--project', project, '--as', 'oncall', '--reason', 'game day'],
      config,
    );
    assert.equal(pause.code, 0, pause.out);
    assert.match(pause.out, new RegExp(`kill switch ON for project ${project} \\(by oncall: game day\\)`));
    t.diagnostic(`pause: confirmed by the worker ${Date.now() - pausedAt} ms after the command started`);

    // The approved run goes to the gate and is held there.
    const pending = (await env.client.workflow.getHandle(web1).query(statusQuery))
      .approval as PendingApproval;
    await env.client.workflow.getHandle(web1).executeUpdate(approveUpdate, {
      args: [await signedRequest(alice, { workflow: web1, run: pending.run, plan: pending.plan })],
    });
    const held1 = await phaseOf(web1, 'PAUSED');
    t.diagnostic(
      `pause: the approved run was held ${Date.now() - pausedAt} ms after the pause command started`,
    );
    // A run that starts now diagnoses and plans, then waits as well (its policy is automatic).
    const web2 = await alert('web2-bs');
    const held2 = await phaseOf(web2, 'PAUSED');
    for (const s of [held1, held2]) {
      assert.deepEqual(s.applied, []);
      assert.match(JSON.stringify(s.timeline), /project .* kill switch is on \(paused by oncall/);
    }
    assert.equal(await healthCheckPort('web1-hc'), 8081, 'nothing changed');
    assert.equal(await healthCheckPort('web2-hc'), 8081, 'nothing changed');

    // The Temporal UI: the switch is a workflow whose search attributes say PAUSED.
    const sw = await env.client.workflow.getHandle(killSwitchWorkflowId(project)).describe();
    assert.equal(sw.typedSearchAttributes.get(SA.phase), 'PAUSED');
    assert.equal(sw.typedSearchAttributes.get(SA.project), project);
    assert.deepEqual((sw.memo?.switch as { paused: boolean }).paused, true);

    // A worker restart changes nothing: the switch lives in Temporal.
    await worker.stop();
    worker = await runningWorker(taskQueue, sim);
    // The global switch on, the project's off: the new worker reads both again, and still holds.
    assert.equal((await lbmedic(cmdPause, ['--as', 'oncall'], config)).code, 0);
    const resumeProject = await lbmedic(cmdResume, ['--project', project, '--as', 'oncall'], config);
    assert.equal(resumeProject.code, 0, resumeProject.out);
    for (const id of [web1, web2]) {
      await eventually(`${id} to read the switches again`, async () =>
        /still held: the global kill switch is on/.test(JSON.stringify((await status(id)).timeline))
          ? true
          : undefined,
      );
      assert.equal((await status(id)).phase, 'PAUSED');
    }
    const shown = await lbmedic(cmdStatus, [web2], config);
    assert.equal(shown.code, 0, shown.out);
    assert.match(shown.out, /phase +PAUSED/);
    assert.match(shown.out, /killSwitches +every project: PAUSED by oncall/);
    const fleet = await lbmedic(cmdStatus, ['--project', project], config);
    assert.match(fleet.out, /every project: PAUSED by oncall/);
    assert.match(fleet.out, new RegExp(`project ${project}: ACTIVE by oncall`));

    const resumedAt = Date.now();
    const resume = await lbmedic(cmdResume, ['--as', 'oncall'], config);
    assert.equal(resume.code, 0, resume.out);
    const results = (await Promise.all(
      [web1, web2].map((id) => env.client.workflow.getHandle(id).result()),
    )) as RemediationResult[];
    t.diagnostic(`resume: both runs fixed ${Date.now() - resumedAt} ms after the resume command started`);
    assert.deepEqual(
      results.map((r) => r.outcome),
      ['REMEDIATED', 'REMEDIATED'],
    );
    assert.equal(await healthCheckPort('web1-hc'), 8080);
    assert.equal(await healthCheckPort('web2-hc'), 8080);
  } finally {
    await worker.stop();
    await sim.stop();
  }
});
