/**
 * `lbmedic demo [SCENARIO] [--manual] [--direct]`: lbmedic healing a simulated load balancer, live.
 *
 * `lbmedic up` writes where everything runs to a state file (up-state.ts); the demo reads it and
 * breaks the simulated LB (loads the scenario into the running simulator). Then the simulated Cloud
 * Monitoring notices, with `setup alerts`' policies and GCP's delays, and notifies up's receiver
 * (demo-stages.ts); with `--direct` the demo posts the notification itself, exactly as Monitoring would
 * (demo-alert.ts). `--manual` puts the approval label on lbmedic's alert policies for the run (or on
 * the posted alert). It follows the
 * remediation through its `status` query: each phase as it starts, the diagnosis, the plan, the
 * approval prompt, HEALTHY, then the outcome, the time each phase took and the Temporal UI link
 * (demo-render.ts, pure); on the hands-off path also the incident closing and when each stage was.
 */
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { remediationWorkflowId, type RemediationStatus } from '../core/model';
import type { Config } from '../runtime/config';
import { temporalConnectionOptions } from '../runtime/connection';
import { loadScenarioFile, scenarioNames, scenarioPath } from '../simulator/scenario';
import { statusQuery } from '../workflows/definitions';
import { postDirect, type DemoFlags } from './demo-direct';
import {
  awaitAlert,
  awaitClosed,
  DemoError,
  labelPoliciesManual,
  runStages,
  simJson,
  stageLines,
} from './demo-stages';
import {
  formatDuration,
  NOTHING_SHOWN,
  progressLines,
  summaryLines,
  uiLink,
  type DemoView,
} from './demo-render';
import { consoleOutput, type Output } from './output';
import { DEFAULT_UP_STATE_FILE, readUpState, type UpState } from './up-state';

export const DEMO_USAGE = `  lbmedic demo [SCENARIO] [--manual] [--direct] [--backend-service BS] [--state FILE] [--timeout SEC]
      With \`lbmedic up\` running (npm start): breaks the simulated load balancer (default scenario
      port-moved), waits for the simulated Cloud Monitoring to alert the receiver, follows the
      remediation live and prints when each stage happened (break, alert, fix, HEALTHY, incident
      closed). --direct posts the alert itself at once. --manual asks for a person's approval (the
      label goes on lbmedic's alert policies for the run, or with --direct on the posted alert).
      Exit 0 when REMEDIATED, 1 otherwise.`;

const EXIT = { remediated: 0, failed: 1, usage: 2 } as const;
const POLL_MS = 300;

/** `TEMPORAL_ADDRESS=… ` when the approve command needs it to find this Temporal. */
function envPrefix(state: UpState, config: Config): string {
  const vars: string[] = [];
  if (state.temporalAddress !== '127.0.0.1:7233' && state.temporalAddress !== config.temporalAddress)
    vars.push(`TEMPORAL_ADDRESS=${state.temporalAddress}`);
  if (state.namespace !== 'default' && state.namespace !== config.temporalNamespace)
    vars.push(`TEMPORAL_NAMESPACE=${state.namespace}`);
  return vars.map((v) => `${v} `).join('');
}

/** ` --key FILE` with the demo approver's key (signed like production), or nothing (ssh-agent). */
function keyFlag(state: UpState): string {
  if (!state.approverKey) return '';
  const rel = relative(process.cwd(), state.approverKey);
  return ` --key ${rel.startsWith('..') ? state.approverKey : rel}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function cmdDemo(args: string[], config: Config, io: Output = consoleOutput()): Promise<number> {
  let values: DemoFlags & { timeout?: string };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      options: {
        manual: { type: 'boolean' },
        direct: { type: 'boolean' },
        state: { type: 'string' },
        timeout: { type: 'string' },
        'backend-service': { type: 'string' },
      },
      allowPositionals: true,
    }));
  } catch (err) {
    io.err(`lbmedic demo: ${(err as Error).message}\n\nUsage:\n${DEMO_USAGE}`);
    return EXIT.usage;
  }
  const scenario = positionals[0] ?? 'port-moved';
  const timeoutSec = Number(values.timeout ?? 600);
  if (positionals.length > 1 || !(timeoutSec > 0)) {
    io.err(
      `lbmedic demo: ${positionals.length > 1 ? 'one scenario at a time' : '--timeout must be seconds > 0'}\n\nUsage:\n${DEMO_USAGE}`,
    );
    return EXIT.usage;
  }
  const names = scenarioNames();
  if (!names.includes(scenario)) {
    io.err(`lbmedic demo: no scenario named "${scenario}"; shipped scenarios: ${names.join(', ')}`);
    return EXIT.usage;
  }
  try {
    return await runDemo(scenario, values, timeoutSec * 1000, config, io);
  } catch (err) {
    io.err(`lbmedic demo: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT.failed;
  }
}

async function runDemo(
  scenario: string,
  flags: DemoFlags,
  timeoutMs: number,
  config: Config,
  io: Output,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const state = readUpState(flags.state ?? DEFAULT_UP_STATE_FILE);
  if (!state.simulatorUrl) {
    throw new DemoError(
      'lbmedic up runs against Google Cloud, not the simulator: the demo breaks a simulated load balancer. Start it with `npm start -- --simulate`.',
    );
  }
  const description = loadScenarioFile(scenarioPath(scenario)).description;

  const direct = flags.direct === true;
  const unlabel =
    flags.manual && !direct ? await labelPoliciesManual(state.simulatorUrl, state.project) : undefined;
  try {
    const simulated = { ...state, simulatorUrl: state.simulatorUrl };
    return await breakAndFollow(
      scenario,
      description,
      flags,
      { state: simulated, config, deadline, timeoutMs },
      io,
    );
  } finally {
    await unlabel?.();
  }
}

async function breakAndFollow(
  scenario: string,
  description: string | undefined,
  flags: DemoFlags,
  ctx: { state: UpState & { simulatorUrl: string }; config: Config; deadline: number; timeoutMs: number },
  io: Output,
): Promise<number> {
  const { state, config, deadline, timeoutMs } = ctx;
  const direct = flags.direct === true;
  // 1. Break the load balancer.
  const breakMs = Date.now();
  const loaded = (await simJson(`${state.simulatorUrl}/_sim/scenario`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: scenario, replace: true }),
  })) as { project: string };
  const project = loaded.project;
  io.out(`lbmedic demo: ${scenario}${flags.manual ? ' (manual approval)' : ''}`);
  if (description) io.out(`  ${description}`);
  io.out(`Broke the load balancer: scenario ${scenario} loaded into the simulator (${state.simulatorUrl})`);

  // 2. Cloud Monitoring notices the 5xx and calls the webhook (or the demo does it, --direct).
  const start = direct
    ? await postDirect(state, project, scenario, flags, io)
    : await awaitAlert(state.simulatorUrl, project, breakMs, flags['backend-service'], deadline, io);
  const { backendService, incidentId } = start;
  const workflowId = remediationWorkflowId(project, backendService);

  // 3. Follow the remediation.
  const plain = !process.env.TEMPORAL_ADDRESS;
  const connection = await Connection.connect(
    plain ? { address: state.temporalAddress } : temporalConnectionOptions(config, state.temporalAddress),
  );
  try {
    const client = new Client({ connection, namespace: state.namespace });
    const latest = client.workflow.getHandle(workflowId);
    const described = await client.withDeadline(deadline, () => latest.describe());
    const handle = client.workflow.getHandle(workflowId, described.runId);
    const startedAtMs = described.startTime.getTime();
    io.out(`Remediation ${workflowId} (run ${described.runId})`);
    const env = envPrefix(state, config);
    const view: DemoView = {
      workflowId,
      startedAtMs,
      approveCommand: `${env}npx lbmedic approve ${workflowId}${keyFlag(state)}`,
      rejectCommand: `${env}npx lbmedic reject ${workflowId}${keyFlag(state)} --reason "<why>"`,
    };
    const final = await follow(client, handle, view, incidentId, deadline, io);
    if (!final) {
      io.out('');
      io.out(
        `No outcome within ${Math.round(timeoutMs / 1000)}s; the remediation goes on: npx lbmedic status ${workflowId}`,
      );
      const link = uiLink({
        uiUrl: state.uiUrl,
        namespace: state.namespace,
        workflowId,
        runId: described.runId,
      });
      if (link) io.out(`Temporal UI: ${link}`);
      return EXIT.failed;
    }
    for (const line of summaryLines(final, {
      workflowId,
      runId: described.runId,
      startedAtMs,
      namespace: state.namespace,
      uiUrl: state.uiUrl,
    }))
      io.out(line);
    // A healed load balancer closes its incident; one left broken keeps it open.
    if (start.incident && final.outcome === 'REMEDIATED') {
      io.out('');
      const closedMs = await awaitClosed(
        state.simulatorUrl,
        project,
        { breakMs, backendService },
        deadline,
        io,
      );
      const stages = { breakMs, alertMs: start.incident.openedAtMs, ...runStages(final) };
      for (const line of stageLines(closedMs === undefined ? stages : { ...stages, closedMs })) io.out(line);
    }
    return final.outcome === 'REMEDIATED' ? EXIT.remediated : EXIT.failed;
  } finally {
    await connection.close();
  }
}

/** Polls the status query until the run has an outcome (the last status) or the deadline (undefined). */
async function follow(
  client: Client,
  handle: WorkflowHandle,
  view: DemoView,
  incidentId: string,
  deadline: number,
  io: Output,
): Promise<RemediationStatus | undefined> {
  let shown = NOTHING_SHOWN;
  let checkedIncident = false;
  let lastError: string | undefined;
  let polls = 0;
  while (Date.now() < deadline) {
    polls += 1;
    let status: RemediationStatus;
    try {
      status = await client.withDeadline(Math.min(deadline, Date.now() + 10_000), () =>
        handle.query(statusQuery),
      );
      lastError = undefined;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError)
        throw new DemoError(`the remediation ${view.workflowId} vanished`);
      const message = err instanceof Error ? err.message : String(err);
      if (message !== lastError) io.err(`  (no answer from the workflow yet: ${message}; retrying)`);
      lastError = message;
      await sleep(POLL_MS);
      continue;
    }
    if (!checkedIncident) {
      checkedIncident = true;
      const own = status.incidents.some((i) => i.incidentId === incidentId);
      const older = status.incidents.filter((i) => i.incidentId !== incidentId);
      if (own && older.length > 0)
        io.out(
          `  (a remediation was already running for this backend service: the incident was attached to it)`,
        );
      io.out('');
    }
    const step = progressLines(status, shown, view);
    for (const line of step.lines) io.out(line);
    shown = step.shown;
    if (status.outcome) return status;
    if (status.phase === 'AWAITING_APPROVAL' && io.transient) {
      io.transient(
        `  waiting for approval… ${formatDuration(Date.now() - view.startedAtMs)} (Ctrl-C stops watching; the remediation keeps waiting)`,
      );
    }
    // A run that ended without an outcome (terminated, failed): stop watching.
    if (polls % 10 === 0) {
      const d = await client.withDeadline(Math.min(deadline, Date.now() + 10_000), () => handle.describe());
      if (d.status.name !== 'RUNNING') {
        const again = await handle.query(statusQuery).catch(() => status);
        if (again.outcome) return again;
        throw new DemoError(
          `the remediation ended ${d.status.name} without an outcome: npx lbmedic status ${view.workflowId}`,
        );
      }
    }
    await sleep(POLL_MS);
  }
  return undefined;
}
