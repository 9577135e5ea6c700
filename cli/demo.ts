/**
 * `lbmedic demo [SCENARIO] [--manual]`: lbmedic healing a simulated load balancer, live.
 *
 * `lbmedic up` writes where everything runs to a state file (`.temporal/up.json`); the demo reads it,
 * breaks the simulated LB (loads the scenario into the running simulator), posts a Cloud Monitoring
 * webhook notification to the running receiver, exactly as Monitoring would, and follows the
 * remediation through its `status` query: each phase as it starts, the diagnosis, the plan, the
 * approval prompt, HEALTHY, then the outcome, the time each phase took and the Temporal UI link.
 *
 * The rendering is pure (a status in, lines out: {@link progressLines}, {@link summaryLines}) so it is
 * unit-testable; {@link cmdDemo} does the I/O.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { z } from 'zod';
import { createGcpClients } from '../activities/gcp-clients';
import { createVerifyActivities } from '../activities/verify';
import { MANUAL_APPROVAL_LABEL } from '../core/model';
import { loadScenarioFile, scenarioNames, scenarioPath } from '../simulator/scenario';
import { statusQuery } from '../workflows/definitions';
import { remediationWorkflowId, type RemediationStatus } from '../core/model';
import type { Config } from '../runtime/config';
import { temporalConnectionOptions } from '../runtime/connection';
import { PROJECT_ROOT } from '../runtime/temporal-binaries';

// ---------------------------------------------------------------------------------------------------
// The state file of a running `lbmedic up`

/** Where `lbmedic up` says what runs where (git-ignored, next to the embedded server's database). */
export const DEFAULT_UP_STATE_FILE = join(PROJECT_ROOT, '.temporal', 'up.json');

export const UpState = z.object({
  temporalAddress: z.string().min(1),
  namespace: z.string().min(1),
  taskQueue: z.string().min(1),
  /** The embedded dev server's Web UI; null against an external Temporal. */
  uiUrl: z.string().nullable(),
  /** The GCP simulator; null against Google Cloud. */
  simulatorUrl: z.string().nullable(),
  /** The receiver's webhook URL with its credentials (`?token=`, or `user:password@`). */
  receiverUrl: z.string().min(1),
  project: z.string().min(1),
  pid: z.number().int().positive(),
});
export type UpState = z.infer<typeof UpState>;

/** Written once everything is up. Holds the receiver's credentials: readable by its owner only. */
export function writeUpState(file: string, state: UpState): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

/** Removes the state file if it is still this process's (another `up` may have taken it over). */
export function removeUpState(file: string, pid = process.pid): void {
  try {
    const held = UpState.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (held.success && held.data.pid !== pid) return;
    rmSync(file, { force: true });
  } catch {
    // Already gone (or unreadable, which is not ours to judge): nothing to do.
  }
}

/** The receiver's webhook URL with its credentials: `?token=`, or else `user:password@`. */
export function webhookUrl(
  receiverUrl: string,
  token: string | undefined,
  basic: { username: string; password: string } | undefined,
): string {
  const url = new URL(`${receiverUrl}/alerts`);
  if (token) url.searchParams.set('token', token);
  else if (basic) {
    url.username = encodeURIComponent(basic.username);
    url.password = encodeURIComponent(basic.password);
  }
  return url.toString();
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is just someone else's.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export const NOT_RUNNING = 'lbmedic up is not running: start it with `npm start` in another terminal';

class DemoError extends Error {}

/** The running `up`'s state, or a {@link DemoError} saying to start it. */
export function readUpState(file: string): UpState {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new DemoError(`${NOT_RUNNING} (no ${file})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new DemoError(`${NOT_RUNNING} (${file} is not JSON)`);
  }
  const parsed = UpState.safeParse(json);
  if (!parsed.success) throw new DemoError(`${NOT_RUNNING} (${file} is not an lbmedic up state file)`);
  if (!pidAlive(parsed.data.pid))
    throw new DemoError(`${NOT_RUNNING} (${file} names process ${parsed.data.pid}, which is gone)`);
  return parsed.data;
}

// ---------------------------------------------------------------------------------------------------
// The alert

export interface DemoAlertInput {
  project: string;
  backendService: string;
  urlMap: string;
  incidentId: string;
  /** Unix seconds. */
  startedAt: number;
  manual: boolean;
  scenario: string;
}

/** A fresh Cloud Monitoring incident id (they look like `0.lq7c2v5b8n3m`). */
export function newIncidentId(): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';
  return `0.${[...randomBytes(12)].map((b) => alphabet[b % alphabet.length]).join('')}`;
}

/**
 * What Cloud Monitoring sends (schema 1.2) when lbmedic's "5xx ratio" policy (`lbmedic setup alerts`)
 * opens an incident on an external ALB's backend service.
 */
export function demoAlert(a: DemoAlertInput): Record<string, unknown> {
  const labels = `{project_id=${a.project}, backend_target_name=${a.backendService}, url_map_name=${a.urlMap}, backend_target_type=BACKEND_SERVICE}`;
  const lbFilter =
    'resource.type = "https_lb_rule" AND metric.type = "loadbalancing.googleapis.com/https/request_count"';
  return {
    incident: {
      incident_id: a.incidentId,
      scoping_project_id: a.project,
      url: `https://console.cloud.google.com/monitoring/alerting/incidents/${a.incidentId}?project=${a.project}`,
      started_at: a.startedAt,
      ended_at: null,
      state: 'open',
      summary: `Request count ratio for ${a.project} https_lb_rule labels ${labels} is above the threshold of 0.050 with a value of 1.000.`,
      apigee_url: 'https://apigee.google.com',
      observed_value: '1.000',
      resource: {
        type: 'https_lb_rule',
        labels: {
          project_id: a.project,
          backend_target_name: a.backendService,
          backend_target_type: 'BACKEND_SERVICE',
          url_map_name: a.urlMap,
        },
      },
      resource_type_display_name: 'Google Cloud HTTP/S Load Balancing Rule',
      resource_id: '',
      resource_display_name: `${a.project} https_lb_rule`,
      resource_name: `${a.project} Google Cloud HTTP/S Load Balancing Rule labels ${labels}`,
      metric: {
        type: 'loadbalancing.googleapis.com/https/request_count',
        displayName: 'Request count',
        labels: { response_code_class: '500' },
      },
      metadata: { system_labels: {}, user_labels: {} },
      policy_name: 'lbmedic: load balancer 5xx ratio',
      policy_user_labels: {
        managed_by: 'lbmedic',
        lbmedic_role: 'lb-5xx-ratio',
        ...(a.manual ? { [MANUAL_APPROVAL_LABEL]: 'manual' } : {}),
      },
      documentation: {
        content: `The load balancer answers 5xx to more than 5% of requests (lbmedic demo, scenario ${a.scenario}).`,
        mime_type: 'text/markdown',
        subject: `lbmedic: 5xx on ${a.project}/${a.backendService}`,
      },
      condition: {
        name: `projects/${a.project}/alertPolicies/1234567890123456789/conditions/9876543210987654321`,
        displayName: '5xx ratio above 5% (external ALB)',
        conditionThreshold: {
          filter: `${lbFilter} AND metric.labels.response_code_class = 500`,
          denominatorFilter: lbFilter,
          comparison: 'COMPARISON_GT',
          thresholdValue: 0.05,
          duration: '120s',
          trigger: { count: 1 },
        },
      },
      condition_name: '5xx ratio above 5% (external ALB)',
      threshold_value: '0.05',
    },
    version: '1.2',
  };
}

// ---------------------------------------------------------------------------------------------------
// Rendering (pure)

interface TimelineEntry {
  at: string;
  phase: string;
  note: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function timelineOf(status: RemediationStatus): TimelineEntry[] {
  const t = status.timeline;
  if (!Array.isArray(t)) return [];
  return t.filter(isRecord).map((e) => ({ at: String(e.at), phase: String(e.phase), note: String(e.note) }));
}

/** `4.2s`, `1m05s`, `1h02m`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** What the demo has printed so far. */
export interface Shown {
  /** Timeline entries printed. */
  timeline: number;
  /** The phase of the last phase line. */
  phase?: string;
  diagnosis: boolean;
  plan: boolean;
  prompt: boolean;
}
export const NOTHING_SHOWN: Shown = { timeline: 0, diagnosis: false, plan: false, prompt: false };

export interface DemoView {
  workflowId: string;
  /** When the run started (ms since the epoch): elapsed times count from it. */
  startedAtMs: number;
  /** The exact command that approves, e.g. `npx lbmedic approve lbmedic/demo-project/web-bs --as <you>`. */
  approveCommand: string;
  rejectCommand: string;
}

const PHASE_WIDTH = 18;

function diagnosisLines(status: RemediationStatus): string[] | undefined {
  const d = status.diagnosis;
  if (!isRecord(d) || !Array.isArray(d.findings)) return undefined;
  const lines = [`Diagnosis: ${String(d.verdict)}`];
  for (const f of d.findings.filter(isRecord)) lines.push(`  ✗ ${String(f.cause)}: ${String(f.summary)}`);
  return lines;
}

function planText(status: RemediationStatus): string | undefined {
  const p = status.plan;
  return isRecord(p) && typeof p.rendered === 'string' ? p.rendered : undefined;
}

/**
 * The lines to print for what changed since `shown`: one line per phase as it starts and one per
 * timeline note (with the elapsed time), the diagnosis and the plan once each, right after the
 * diagnosis note, and the approval prompt when the run waits for a person.
 */
export function progressLines(
  status: RemediationStatus,
  shown: Shown,
  view: DemoView,
): { lines: string[]; shown: Shown } {
  const next: Shown = { ...shown };
  const lines: string[] = [];
  const blocks = () => {
    const diagnosis = next.diagnosis ? undefined : diagnosisLines(status);
    if (diagnosis) {
      lines.push('', ...diagnosis, '');
      next.diagnosis = true;
    }
    const plan = next.plan ? undefined : planText(status);
    if (plan && next.diagnosis) {
      lines.push(...plan.split('\n'), '');
      next.plan = true;
    }
  };
  const timeline = timelineOf(status);
  for (const entry of timeline.slice(shown.timeline)) {
    const elapsed = `+${formatDuration(Date.parse(entry.at) - view.startedAtMs)}`.padStart(8);
    const note = entry.note.startsWith('HEALTHY:') ? `✓ ${entry.note}` : entry.note;
    if (entry.phase !== next.phase) {
      lines.push(`${elapsed}  ${entry.phase.padEnd(PHASE_WIDTH)} ${note}`);
      next.phase = entry.phase;
    } else {
      lines.push(`${elapsed}  ${''.padEnd(PHASE_WIDTH)} ${note}`);
    }
    if (entry.note.startsWith('diagnosis:')) blocks();
    if (entry.phase === 'AWAITING_APPROVAL' && !next.prompt) {
      next.prompt = true;
      const deadline = typeof status.approvalDeadline === 'string' ? status.approvalDeadline : undefined;
      lines.push(
        '',
        `  ▶ The plan waits for a person${deadline ? ` (until ${deadline})` : ''}. From another terminal:`,
        `      ${view.approveCommand}`,
        `    or reject it:`,
        `      ${view.rejectCommand}`,
        '',
      );
    }
  }
  next.timeline = timeline.length;
  // A diagnosis without its note yet (never with this workflow, but harmless): show it anyway.
  if (status.diagnosis !== undefined && status.diagnosis !== null) blocks();
  return { lines, shown: next };
}

/** Phases in the order they ran, with how long each took (the timeline's timestamps). */
export function phaseDurations(
  status: RemediationStatus,
  startedAtMs: number,
): { phase: string; ms: number }[] {
  const segments: { phase: string; start: number }[] = [{ phase: 'STARTING', start: startedAtMs }];
  for (const e of timelineOf(status)) {
    const at = Date.parse(e.at);
    if (e.phase !== segments[segments.length - 1]!.phase) segments.push({ phase: e.phase, start: at });
  }
  const out: { phase: string; ms: number }[] = [];
  for (let i = 0; i + 1 < segments.length; i++) {
    out.push({ phase: segments[i]!.phase, ms: segments[i + 1]!.start - segments[i]!.start });
  }
  return out;
}

export interface SummaryView {
  workflowId: string;
  runId?: string;
  startedAtMs: number;
  namespace: string;
  uiUrl: string | null;
}

/** The Temporal UI page of the execution. */
export function uiLink(
  view: Pick<SummaryView, 'uiUrl' | 'namespace' | 'workflowId' | 'runId'>,
): string | undefined {
  if (!view.uiUrl) return undefined;
  const base = `${view.uiUrl}/namespaces/${encodeURIComponent(view.namespace)}/workflows/${encodeURIComponent(view.workflowId)}`;
  return view.runId ? `${base}/${view.runId}/history` : base;
}

/** The end of the demo: the outcome (explained when limits blocked it), the time per phase, the UI link. */
export function summaryLines(status: RemediationStatus, view: SummaryView): string[] {
  const outcome = typeof status.outcome === 'string' ? status.outcome : undefined;
  const timeline = timelineOf(status);
  const last = timeline[timeline.length - 1];
  const summary = last && outcome && last.note.startsWith(`${outcome}:`) ? last.note : outcome;
  const lines = ['', `Outcome: ${summary ?? '(none)'}`];
  if (outcome === 'BLOCKED_BY_LIMITS') {
    lines.push(
      '  This backend service was remediated (the demo ran) a short while ago, and the policies limit how',
      '  often lbmedic may change it (cooldown, a daily maximum, a circuit breaker): this run changed nothing.',
      '  To run the demo again now, stop `lbmedic up` (Ctrl-C) and start it on a fresh Temporal database,',
      '  e.g. `npm start -- --temporal-db .temporal/demo-2.db`; or wait until the cooldown has passed.',
    );
  }
  const durations = phaseDurations(status, view.startedAtMs);
  if (durations.length > 0) {
    const width = Math.max(5, ...durations.map((d) => d.phase.length));
    lines.push('', 'Time per phase', `  ${'PHASE'.padEnd(width)}  ${'TOOK'.padStart(6)}`);
    for (const d of durations) lines.push(`  ${d.phase.padEnd(width)}  ${formatDuration(d.ms).padStart(6)}`);
    const end = last ? Date.parse(last.at) : view.startedAtMs;
    lines.push(`  ${'total'.padEnd(width)}  ${formatDuration(end - view.startedAtMs).padStart(6)}`);
  }
  const link = uiLink(view);
  lines.push('', link ? `Temporal UI: ${link}` : `Workflow: ${view.workflowId} (no Temporal UI URL known)`);
  return lines;
}

// ---------------------------------------------------------------------------------------------------
// The command

export const DEMO_USAGE = `  lbmedic demo [SCENARIO] [--manual] [--backend-service BS] [--state FILE] [--timeout SEC]
      With \`lbmedic up\` running (npm start): breaks the simulated load balancer (default scenario
      port-moved), posts a Cloud Monitoring alert to the receiver and follows the remediation live;
      --manual asks for a person's approval. Exit 0 when REMEDIATED, 1 otherwise.`;

/** Where the demo writes; tests pass their own. */
export interface DemoOutput {
  out(line: string): void;
  err(line: string): void;
  /** A line that the next output replaces (a ticking "waiting" line); only on a terminal. */
  transient?(line: string): void;
}

const consoleOutput = (): DemoOutput => {
  let pending = false;
  const clear = () => {
    if (pending) process.stdout.write('\r\x1b[K');
    pending = false;
  };
  return {
    out: (line) => {
      clear();
      console.log(line);
    },
    err: (line) => {
      clear();
      console.error(line);
    },
    ...(process.stdout.isTTY
      ? {
          transient: (line: string) => {
            process.stdout.write(`\r\x1b[K${line}`);
            pending = true;
          },
        }
      : {}),
  };
};

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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function cmdDemo(
  args: string[],
  config: Config,
  io: DemoOutput = consoleOutput(),
): Promise<number> {
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
    io.err(`lbmedic demo: ${(err as Error).message}\nusage:\n${DEMO_USAGE}`);
    return EXIT.usage;
  }
  const scenario = positionals[0] ?? 'port-moved';
  const timeoutSec = Number(values.timeout ?? 600);
  if (positionals.length > 1 || !(timeoutSec > 0)) {
    io.err(
      `lbmedic demo: ${positionals.length > 1 ? 'one scenario at a time' : '--timeout must be seconds > 0'}\nusage:\n${DEMO_USAGE}`,
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
  io: DemoOutput,
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
      approveCommand: `${env}npx lbmedic approve ${workflowId} --as <you>`,
      rejectCommand: `${env}npx lbmedic reject ${workflowId} --as <you> --reason "<why>"`,
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
  io: DemoOutput,
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
