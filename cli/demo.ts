/**
 * `lbmedic demo [SCENARIO] [--manual]`: lbmedic healing a simulated load balancer, live.
 *
 * `lbmedic up` writes where everything runs to a state file (up-state.ts); the demo reads it,
 * breaks the simulated LB (loads the scenario into the running simulator), posts a Cloud Monitoring
 * webhook notification to the running receiver, exactly as Monitoring would (demo-alert.ts), and
 * follows the remediation through its `status` query: each phase as it starts, the diagnosis, the
 * plan, the approval prompt, HEALTHY, then the outcome, the time each phase took and the Temporal UI
 * link (demo-render.ts, pure).
 */
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { createGcpClients } from '../activities/gcp-clients';
import { createVerifyActivities } from '../activities/verify';
import { MANUAL_APPROVAL_LABEL, remediationWorkflowId, type RemediationStatus } from '../core/model';
import type { Config } from '../runtime/config';
import { temporalConnectionOptions } from '../runtime/connection';
import { loadScenarioFile, scenarioNames, scenarioPath } from '../simulator/scenario';
import { statusQuery } from '../workflows/definitions';
import { demoAlert, newIncidentId } from './demo-alert';
import {
  formatDuration,
  NOTHING_SHOWN,
  progressLines,
  summaryLines,
  uiLink,
  type DemoView,
} from './demo-render';
import { consoleOutput, isRecord, type Output } from './output';
import { DEFAULT_UP_STATE_FILE, readUpState, type UpState } from './up-state';

export const DEMO_USAGE = `  lbmedic demo [SCENARIO] [--manual] [--backend-service BS] [--state FILE] [--timeout SEC]
      With \`lbmedic up\` running (npm start): breaks the simulated load balancer (default scenario
      port-moved), posts a Cloud Monitoring alert to the receiver and follows the remediation live;
      --manual asks for a person's approval. Exit 0 when REMEDIATED, 1 otherwise.`;

class DemoError extends Error {}

const EXIT = { remediated: 0, failed: 1, usage: 2 } as const;
const POLL_MS = 300;

async function simJson(url: string, init?: RequestInit): Promise<unknown> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
  const body: unknown = await res.json().catch(() => ({}));
  if (!res.ok) {
    const message = isRecord(body) && isRecord(body.error) ? String(body.error.message) : res.statusText;
    throw new DemoError(`the simulator answered ${res.status}: ${message}`);
  }
  return body;
}

/** The backend service the alert names: the one given, the only one, or the one answering most 5xx. */
async function pickBackendService(
  simulatorUrl: string,
  project: string,
  services: string[],
  wanted: string | undefined,
): Promise<string> {
  if (wanted) {
    if (!services.includes(wanted))
      throw new DemoError(`no backend service ${wanted} in ${project}; there are: ${services.join(', ')}`);
    return wanted;
  }
  if (services.length <= 1) {
    if (!services[0]) throw new DemoError(`the scenario has no backend service in ${project}`);
    return services[0];
  }
  // Like Monitoring: the alert fires for the backend whose LB responses are 5xx.
  const clients = createGcpClients({ endpoint: simulatorUrl, projectId: project });
  try {
    const logs = createVerifyActivities(clients);
    const since = new Date(Date.now() - 10 * 60_000).toISOString();
    const counts = await Promise.all(
      services.map(async (bs) => ({
        bs,
        ...(await logs.countLbResponses({ project, backendService: bs, since })),
      })),
    );
    const share = (c: { total: number; errors: number }) => (c.total === 0 ? 0 : c.errors / c.total);
    const worst = [...counts].sort((a, b) => share(b) - share(a))[0];
    return worst && worst.errors > 0 ? worst.bs : services[0]!;
  } finally {
    await clients.close();
  }
}

async function postAlert(receiverUrl: string, body: unknown): Promise<{ status: number; answer: unknown }> {
  const url = new URL(receiverUrl);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (url.username) {
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  const res = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, answer: await res.json().catch(() => undefined) };
}

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
  let values: { manual?: boolean; state?: string; timeout?: string; 'backend-service'?: string };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      options: {
        manual: { type: 'boolean' },
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
  flags: { manual?: boolean; state?: string; 'backend-service'?: string },
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

  // 1. Break the load balancer.
  const loaded = (await simJson(`${state.simulatorUrl}/_sim/scenario`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: scenario, replace: true }),
  })) as { project: string };
  const project = loaded.project;
  const world = (await simJson(`${state.simulatorUrl}/_sim/state`)) as {
    projects: Record<string, { backendServices?: Record<string, { frontend?: { urlMap?: string } }> }>;
  };
  const backendServices = world.projects[project]?.backendServices ?? {};
  const backendService = await pickBackendService(
    state.simulatorUrl,
    project,
    Object.keys(backendServices),
    flags['backend-service'],
  );
  const workflowId = remediationWorkflowId(project, backendService);
  io.out(`lbmedic demo: ${scenario}${flags.manual ? ' (manual approval)' : ''}`);
  if (description) io.out(`  ${description}`);
  io.out(`Broke the load balancer: scenario ${scenario} loaded into the simulator (${state.simulatorUrl})`);

  // 2. Cloud Monitoring notices the 5xx and calls the webhook.
  const incidentId = newIncidentId();
  const { status, answer } = await postAlert(
    state.receiverUrl,
    demoAlert({
      project,
      backendService,
      urlMap: backendServices[backendService]?.frontend?.urlMap ?? `${backendService}-map`,
      incidentId,
      startedAt: Math.floor(Date.now() / 1000),
      manual: flags.manual === true,
      scenario,
    }),
  );
  const outcome = isRecord(answer) ? String(answer.outcome) : '?';
  if (status !== 200 || outcome !== 'accepted') {
    const message = isRecord(answer) ? String(answer.message) : '(no JSON answer)';
    throw new DemoError(`the receiver answered ${status} ${outcome}: ${message}`);
  }
  io.out(
    `Alert posted: Cloud Monitoring incident ${incidentId}, https_lb_rule ${project}/${backendService}${
      flags.manual ? `, label ${MANUAL_APPROVAL_LABEL}=manual` : ''
    } → ${status} ${outcome}`,
  );

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
