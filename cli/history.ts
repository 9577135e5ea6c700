/**
 * `lbmedic history`: closed remediations from the visibility API, over lbmedic's search attributes,
 * one line each, newest first. {@link buildHistoryQuery} is also what to paste into the Temporal UI.
 */
import { parseArgs } from 'node:util';
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { OUTCOMES, REMEDIATION_WORKFLOW, type Outcome } from '../core/model';
import { SA } from '../core/search-attributes';
import type { Config } from '../runtime/config';
import { loadConfiguredPolicies } from '../runtime/policy-loader';
import { renderChecks, verifyRun } from './history-verify';
import { UsageError } from './flags';
import { consoleOutput, type Output } from './output';
import { EXIT, run, withClient } from './remediation-client';

export const HISTORY_USAGE = `  lbmedic history [--since 7d] [--outcome X] [--project P] [--backend-service BS] [--root-cause C]
                  [--approver A] [--limit N] [--json] [--verify [--policies DIR] [--approvers FILE]]
      Closed remediations from the visibility API, one line each, newest first. --verify checks every
      signed approval and rejection kept in their memos against the configured approvers' keys valid
      at the time, and flags any record that does not verify (exit 1).`;

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
    summary: typeof w.memo?.summary === 'string' ? w.memo.summary : undefined,
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

/** Closed remediations, newest first, from the visibility API. */
export async function cmdHistory(
  args: string[],
  config: Config,
  io: Output = consoleOutput(),
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
        verify: { type: 'boolean' },
        policies: { type: 'string' },
        approvers: { type: 'string' },
      },
    });
    // The keys to verify with: the approvers the worker is configured with (or the ones named here).
    const registry = values.verify
      ? loadConfiguredPolicies(config, {
          dir: values.policies,
          extraApprovers: values.approvers ? [values.approvers] : [],
        }).approvers
      : [];
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
      const checks = [];
      for await (const w of client.workflow.list({ query })) {
        entries.push(toEntry(w));
        if (values.verify) checks.push(verifyRun(w, registry));
        if (entries.length >= limit) break;
      }
      if (values.verify) {
        const { text, failed } = renderChecks(checks);
        io.out(values.json ? JSON.stringify(checks, null, 2) : text);
        return failed ? EXIT.failed : EXIT.ok;
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
