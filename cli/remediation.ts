/**
 * `lbmedic approve | reject | status | history`: talking to remediation workflows as a person does.
 * approve uses the workflow's update so the caller hears at once whether it was accepted (the
 * validator refuses a wrong approver, a second approval by the same person, or nothing to approve);
 * reject is a signal; status is the workflow's query; history is the visibility API over lbmedic's
 * search attributes. Each command returns its exit code.
 */
import { parseArgs } from 'node:util';
import {
  Client,
  Connection,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type WorkflowExecutionInfo,
} from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { SA } from '../core/search-attributes';
import { approveUpdate, rejectSignal, statusQuery } from '../workflows/definitions';
import {
  OUTCOMES,
  REMEDIATION_WORKFLOW,
  type ApprovalRequest,
  type Outcome,
  type RemediationStatus,
} from '../core/model';
import type { Config } from '../runtime/config';
import { temporalConnectionOptions } from '../runtime/connection';

/** The four commands' lines in `lbmedic help`. */
export const REMEDIATION_USAGE = `  lbmedic status <workflow-id> [--json]
      The remediation's phase, outcome, incidents, plan, approvals and deadlines (its status query).
  lbmedic approve <workflow-id> [--as NAME] [--reason TEXT]
      Approves through the workflow's update: prints the result, or the refusal (exit 3).
  lbmedic reject <workflow-id> [--as NAME] [--reason TEXT]
      Rejects the pending plan (a signal; check with status). --as defaults to $USER.
  lbmedic history [--since 7d] [--outcome X] [--project P] [--backend-service BS] [--root-cause C]
                  [--approver A] [--limit N] [--json]
      Closed remediations from the visibility API, one line each, newest first.`;

/** Where a command writes; tests pass their own. */
export interface Output {
  out(line: string): void;
  err(line: string): void;
}
const consoleOutput: Output = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};

/** Exit codes: 0 done, 1 could not (not found, no answer), 2 usage, 3 the workflow refused. */
const EXIT = { ok: 0, failed: 1, usage: 2, refused: 3 } as const;

/** How long approve/reject/status wait for Temporal (and a worker) to answer. */
const DEFAULT_TIMEOUT_SEC = 30;

class UsageError extends Error {}

async function withClient<T>(config: Config, fn: (client: Client) => Promise<T>): Promise<T> {
  const connection = await Connection.connect(temporalConnectionOptions(config));
  try {
    return await fn(new Client({ connection, namespace: config.temporalNamespace }));
  } finally {
    await connection.close();
  }
}

/** Runs a command body, turning bad flags into exit 2 and a missing workflow into exit 1. */
async function run(command: string, usage: string, io: Output, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof UsageError || (err instanceof TypeError && 'code' in err)) {
      io.err(`lbmedic ${command}: ${err.message}\nusage: ${usage}`);
      return EXIT.usage;
    }
    if (err instanceof WorkflowNotFoundError) {
      io.err(`lbmedic ${command}: no running remediation ${err.workflowId} (${err.message})`);
      return EXIT.failed;
    }
    throw err;
  }
}

function timeoutFlag(value: string | undefined): number {
  const sec = Number(value ?? DEFAULT_TIMEOUT_SEC);
  if (!Number.isFinite(sec) || sec <= 0)
    throw new UsageError(`--timeout must be seconds > 0, got "${value}"`);
  return sec * 1000;
}

function oneWorkflowId(positionals: string[]): string {
  const [id, ...extra] = positionals;
  if (!id) throw new UsageError('give the workflow id, e.g. lbmedic/demo-project/web-bs');
  if (extra.length > 0) throw new UsageError(`one workflow id, got ${positionals.length}`);
  return id;
}

const DECISION_OPTIONS = {
  as: { type: 'string' },
  reason: { type: 'string' },
  timeout: { type: 'string' },
} as const;

function decisionFrom(values: { as?: string; reason?: string }): ApprovalRequest {
  const approver = values.as ?? process.env.USER;
  if (!approver) throw new UsageError('say who you are with --as NAME ($USER is not set)');
  return { approver, ...(values.reason ? { reason: values.reason } : {}) };
}

/** The refusal a validator or handler threw, without the SDK's wrapping. */
function refusalMessage(err: WorkflowUpdateFailedError): string {
  return err.cause?.message ?? err.message;
}

const APPROVE_USAGE = 'lbmedic approve <workflow-id> [--as NAME] [--reason TEXT] [--timeout SEC]';

/** Approves through the `approve` update: prints the result, or the workflow's refusal (exit 3). */
export async function cmdApprove(
  args: string[],
  config: Config,
  io: Output = consoleOutput,
): Promise<number> {
  return run('approve', APPROVE_USAGE, io, async () => {
    const { values, positionals } = parseArgs({ args, options: DECISION_OPTIONS, allowPositionals: true });
    const workflowId = oneWorkflowId(positionals);
    const request = decisionFrom(values);
    const timeoutMs = timeoutFlag(values.timeout);
    return withClient(config, async (client) => {
      const handle = client.workflow.getHandle(workflowId);
      try {
        const result = await client.withDeadline(Date.now() + timeoutMs, () =>
          handle.executeUpdate(approveUpdate, { args: [request] }),
        );
        io.out(
          `approved by ${request.approver}: ${result.approvals}/${result.required} approval${result.required === 1 ? '' : 's'}, phase ${result.phase}`,
        );
        return EXIT.ok;
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) {
          io.err(`refused: ${refusalMessage(err)}`);
          return EXIT.refused;
        }
        if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isDeadlineExceeded(err)) {
          io.err(
            `no answer from ${workflowId} within ${timeoutMs / 1000}s: is an lbmedic worker running on its task queue?`,
          );
          return EXIT.failed;
        }
        throw err;
      }
    });
  });
}

function isDeadlineExceeded(err: unknown): boolean {
  // gRPC status 4 (DEADLINE_EXCEEDED), possibly wrapped by the SDK.
  for (let e = err; e instanceof Error; e = e.cause) {
    if ((e as { code?: unknown }).code === 4) return true;
  }
  return false;
}

const REJECT_USAGE = 'lbmedic reject <workflow-id> [--as NAME] [--reason TEXT]';

/** Rejects through the `reject` signal (signals get no answer: check with `lbmedic status`). */
export async function cmdReject(args: string[], config: Config, io: Output = consoleOutput): Promise<number> {
  return run('reject', REJECT_USAGE, io, async () => {
    const { values, positionals } = parseArgs({ args, options: DECISION_OPTIONS, allowPositionals: true });
    const workflowId = oneWorkflowId(positionals);
    const request = decisionFrom(values);
    const timeoutMs = timeoutFlag(values.timeout);
    return withClient(config, async (client) => {
      await client.withDeadline(Date.now() + timeoutMs, () =>
        client.workflow.getHandle(workflowId).signal(rejectSignal, request),
      );
      io.out(
        `rejection by ${request.approver} sent to ${workflowId}; \`lbmedic status ${workflowId}\` shows whether it counted`,
      );
      return EXIT.ok;
    });
  });
}

const STATUS_USAGE = 'lbmedic status <workflow-id> [--json] [--timeout SEC]';

/** The `status` query, readable or as JSON. */
export async function cmdStatus(args: string[], config: Config, io: Output = consoleOutput): Promise<number> {
  return run('status', STATUS_USAGE, io, async () => {
    const { values, positionals } = parseArgs({
      args,
      options: { json: { type: 'boolean' }, timeout: { type: 'string' } },
      allowPositionals: true,
    });
    const workflowId = oneWorkflowId(positionals);
    const timeoutMs = timeoutFlag(values.timeout);
    return withClient(config, async (client) => {
      const handle = client.workflow.getHandle(workflowId);
      const [description, status] = await client.withDeadline(Date.now() + timeoutMs, () =>
        Promise.all([handle.describe(), handle.query(statusQuery)]),
      );
      const execution = description.status.name;
      if (values.json) io.out(JSON.stringify({ execution, ...status }, null, 2));
      else io.out(renderStatus(status, execution));
      return EXIT.ok;
    });
  });
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const indent = (text: string, by: string) =>
  text
    .split('\n')
    .map((l) => (l ? by + l : l))
    .join('\n');

/** Known fields get a readable shape; anything else is printed generically. */
const FIELD_RENDERERS: Record<string, (v: unknown) => string | undefined> = {
  incidents: (v) =>
    Array.isArray(v)
      ? v
          .filter(isRecord)
          .map(
            (i) =>
              `${String(i.incidentId)} (${String(i.state)}, ${String(i.source)}, received ${String(i.receivedAt)})${
                str(i.summary) ? ` ${String(i.summary)}` : ''
              }`,
          )
          .join('\n')
      : undefined,
  diagnosis: (v) => {
    if (!isRecord(v) || !Array.isArray(v.findings)) return undefined;
    const findings = v.findings.filter(isRecord).map((f) => `✗ ${String(f.cause)}: ${String(f.summary)}`);
    return [String(v.verdict), ...findings].join('\n');
  },
  plan: (v) => {
    if (typeof v === 'string') return v;
    if (!isRecord(v)) return undefined;
    return str(v.rendered) ?? str(v.summary);
  },
  approvals: (v) =>
    Array.isArray(v)
      ? v
          .filter(isRecord)
          .map((a) => decisionLine(a))
          .join('\n')
      : undefined,
  rejection: (v) => (isRecord(v) ? decisionLine(v) : undefined),
  timeline: (v) =>
    Array.isArray(v)
      ? v
          .filter(isRecord)
          .map((t) => `${String(t.at)}  ${String(t.phase).padEnd(18)} ${String(t.note)}`)
          .join('\n')
      : undefined,
};

function decisionLine(d: Record<string, unknown>): string {
  return `${String(d.approver)}${str(d.at) ? ` at ${String(d.at)}` : ''}${str(d.reason) ? `: ${String(d.reason)}` : ''}`;
}

function renderValue(key: string, value: unknown): string {
  const special = FIELD_RENDERERS[key]?.(value);
  if (special !== undefined) return special;
  if (Array.isArray(value) && value.every((x) => typeof x !== 'object' || x === null))
    return value.map(String).join(', ');
  if (typeof value === 'object' && value !== null) {
    const compact = JSON.stringify(value);
    return compact.length <= 100 ? compact : JSON.stringify(value, null, 2);
  }
  return String(value);
}

/** A status as a person reads it: the headline fields first, then everything else the workflow reports. */
export function renderStatus(status: RemediationStatus, execution?: string): string {
  const out = [`${status.workflowId}${execution ? `  (${execution})` : ''}`];
  const head: [string, unknown][] = [
    ['project', status.project],
    ['backend service', status.backendService],
    ['phase', status.phase],
    ['outcome', status.outcome ?? '-'],
  ];
  for (const [label, value] of head) out.push(`  ${label.padEnd(16)} ${String(value)}`);
  const shown = new Set(['workflowId', 'project', 'backendService', 'phase', 'outcome']);
  for (const [key, value] of Object.entries(status)) {
    if (shown.has(key) || value === undefined || value === null) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    const text = renderValue(key, value);
    // Lists of records (incidents, approvals, the timeline) always get their own lines.
    const block = text.includes('\n') || text.length > 100 || (Array.isArray(value) && value.some(isRecord));
    if (!block) out.push(`  ${key.padEnd(16)} ${text}`);
    else out.push(`  ${key}`, indent(text, '    '));
  }
  return out.join('\n');
}

/** `90m`, `36h`, `7d`, `2w` → milliseconds. */
export function parseSince(value: string): number {
  const m = /^(\d+)\s*(m|h|d|w)$/.exec(value.trim());
  if (!m) throw new UsageError(`--since must look like 90m, 36h, 7d or 2w, got "${value}"`);
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 'm' | 'h' | 'd' | 'w'];
  return Number(m[1]) * unit;
}

export interface HistoryFilter {
  closedAfter: Date;
  outcome?: Outcome;
  project?: string;
  backendService?: string;
  rootCause?: string;
  approver?: string;
}

/** Values go between single quotes in a visibility query: refuse what could break out of them. */
function literal(flag: string, value: string): string {
  if (!/^[A-Za-z0-9._:/@+-]+$/.test(value))
    throw new UsageError(`--${flag} "${value}" has characters a GCP name cannot have`);
  return `'${value}'`;
}

/** The visibility query for `lbmedic history` (also what to paste into the Temporal UI). */
export function buildHistoryQuery(f: HistoryFilter): string {
  const terms = [`WorkflowType = '${REMEDIATION_WORKFLOW}'`, `CloseTime > '${f.closedAfter.toISOString()}'`];
  if (f.outcome) terms.push(`${SA.outcome.name} = ${literal('outcome', f.outcome)}`);
  if (f.project) terms.push(`${SA.project.name} = ${literal('project', f.project)}`);
  if (f.backendService)
    terms.push(`${SA.backendService.name} = ${literal('backend-service', f.backendService)}`);
  if (f.rootCause) terms.push(`${SA.rootCause.name} = ${literal('root-cause', f.rootCause)}`);
  if (f.approver) terms.push(`${SA.approver.name} = ${literal('approver', f.approver)}`);
  return terms.join(' AND ');
}

export interface HistoryEntry {
  closeTime: string | undefined;
  project: string | undefined;
  backendService: string | undefined;
  outcome: string | undefined;
  /** The execution's own status: COMPLETED, FAILED, TERMINATED… */
  status: string;
  rootCauses: string[];
  actions: string[];
  approvers: string[];
  workflowId: string;
  runId: string;
  summary: string | undefined;
}

function toEntry(w: WorkflowExecutionInfo): HistoryEntry {
  const sa = w.typedSearchAttributes;
  return {
    closeTime: w.closeTime?.toISOString(),
    project: sa.get(SA.project),
    backendService: sa.get(SA.backendService),
    outcome: sa.get(SA.outcome),
    status: w.status.name,
    rootCauses: sa.get(SA.rootCause) ?? [],
    actions: sa.get(SA.action) ?? [],
    approvers: sa.get(SA.approver) ?? [],
    workflowId: w.workflowId,
    runId: w.runId,
    summary: str(w.memo?.summary),
  };
}

function renderHistory(entries: HistoryEntry[]): string {
  const list = (xs: string[]) => (xs.length ? xs.join(',') : '-');
  const rows = [
    ['CLOSED', 'PROJECT/BACKEND SERVICE', 'OUTCOME', 'ROOT CAUSES', 'ACTIONS', 'APPROVERS', 'WORKFLOW ID'],
    ...entries.map((e) => [
      e.closeTime ?? '-',
      `${e.project ?? '?'}/${e.backendService ?? '?'}`,
      e.outcome ?? `(${e.status})`,
      list(e.rootCauses),
      list(e.actions),
      list(e.approvers),
      e.workflowId,
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '))
    .join('\n');
}

const HISTORY_USAGE =
  'lbmedic history [--since 7d] [--outcome X] [--project P] [--backend-service BS] [--root-cause C] [--approver A] [--limit N] [--json]';

/** Closed remediations, newest first, from the visibility API. */
export async function cmdHistory(
  args: string[],
  config: Config,
  io: Output = consoleOutput,
): Promise<number> {
  return run('history', HISTORY_USAGE, io, async () => {
    const { values } = parseArgs({
      args,
      options: {
        since: { type: 'string', default: '7d' },
        outcome: { type: 'string' },
        project: { type: 'string' },
        'backend-service': { type: 'string' },
        'root-cause': { type: 'string' },
        approver: { type: 'string' },
        limit: { type: 'string', default: '200' },
        json: { type: 'boolean' },
      },
    });
    const outcome = values.outcome?.toUpperCase();
    if (outcome !== undefined && !(OUTCOMES as readonly string[]).includes(outcome))
      throw new UsageError(`--outcome must be one of ${OUTCOMES.join(', ')}`);
    const limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a whole number ≥ 1');
    const query = buildHistoryQuery({
      closedAfter: new Date(Date.now() - parseSince(values.since)),
      ...(outcome ? { outcome: outcome as Outcome } : {}),
      ...(values.project ? { project: values.project } : {}),
      ...(values['backend-service'] ? { backendService: values['backend-service'] } : {}),
      ...(values['root-cause'] ? { rootCause: values['root-cause'] } : {}),
      ...(values.approver ? { approver: values.approver } : {}),
    });
    return withClient(config, async (client) => {
      const entries: HistoryEntry[] = [];
      for await (const w of client.workflow.list({ query })) {
        entries.push(toEntry(w));
        if (entries.length >= limit) break;
      }
      entries.sort((a, b) => (b.closeTime ?? '').localeCompare(a.closeTime ?? ''));
      if (values.json) io.out(JSON.stringify(entries, null, 2));
      else if (entries.length === 0)
        io.out(`no remediations closed in the last ${values.since} match: ${query}`);
      else io.out(renderHistory(entries));
      return EXIT.ok;
    });
  });
}
