/**
 * `lbmedic status <workflow-id>`: the remediation's status query, as a person reads it or as JSON,
 * with the kill switches that hold its project. Without a workflow id: the fleet (kill switches and
 * each project's governor, cli/fleet-status.ts).
 */
import { parseArgs } from 'node:util';
import { fingerprint } from '../activities/sshsig';
import type { RemediationStatus } from '../core/model';
import { parsePublicKey } from '../core/ssh-wire';
import type { Config } from '../runtime/config';
import { statusQuery } from '../workflows/definitions';
import { readFleet, renderFleet, switchLine } from './fleet-status';
import { UsageError } from './flags';
import { consoleOutput, isRecord, type Output } from './output';
import { EXIT, run, timeoutFlag, withClient } from './remediation-client';

export const STATUS_USAGE = `  lbmedic status [<workflow-id>] [--project P] [--json] [--timeout SEC]
      The remediation's phase, outcome, incidents, plan, approvals and deadlines (its status query)
      and the kill switches that hold it. Without a workflow id: the kill switches and the fleet
      (what runs, what waits, the fleet circuit breaker), of every project or of --project P.`;

/** The `status` query (or the fleet), readable or as JSON. */
export async function cmdStatus(
  args: string[],
  config: Config,
  io: Output = consoleOutput(),
): Promise<number> {
  return run('status', STATUS_USAGE, io, async () => {
    const { values, positionals } = parseArgs({
      args,
      options: { json: { type: 'boolean' }, timeout: { type: 'string' }, project: { type: 'string' } },
      allowPositionals: true,
    });
    if (positionals.length > 1) throw new UsageError(`one workflow id, got ${positionals.length}`);
    const workflowId = positionals[0];
    if (workflowId !== undefined && values.project !== undefined)
      throw new UsageError('give a workflow id or --project, not both');
    const timeoutMs = timeoutFlag(values.timeout);
    return withClient(config, async (client) => {
      const deadline = Date.now() + timeoutMs;
      if (workflowId === undefined) {
        const fleet = await client.withDeadline(deadline, () => readFleet(client, values.project));
        io.out(values.json ? JSON.stringify(fleet, null, 2) : renderFleet(fleet));
        return EXIT.ok;
      }
      const handle = client.workflow.getHandle(workflowId);
      const [description, status] = await client.withDeadline(deadline, () =>
        Promise.all([handle.describe(), handle.query(statusQuery)]),
      );
      const execution = description.status.name;
      const fleet = await client.withDeadline(deadline, () => readFleet(client, status.project));
      const killSwitches = fleet.switches.filter((s) => s.paused).map(switchLine);
      const shown = killSwitches.length > 0 ? { ...status, killSwitches } : status;
      if (values.json) io.out(JSON.stringify({ execution, ...shown }, null, 2));
      else io.out(renderStatus(shown, execution));
      return EXIT.ok;
    });
  });
}

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
  approval: (v) => (isRecord(v) ? pendingLines(v) : undefined),
  timeline: (v) =>
    Array.isArray(v)
      ? v
          .filter(isRecord)
          .map((t) => `${String(t.at)}  ${String(t.phase).padEnd(18)} ${String(t.note)}`)
          .join('\n')
      : undefined,
};

function decisionLine(d: Record<string, unknown>): string {
  return `${String(d.approver)}${str(d.at) ? ` at ${String(d.at)}` : ''}${str(d.key) ? ` with ${String(d.key)}` : ''}${
    str(d.reason) ? `: ${String(d.reason)}` : ''
  }`;
}

/** The approval waiting: what a signature must name, and whose keys count (docs/approvals.md). */
function pendingLines(a: Record<string, unknown>): string {
  const rules = isRecord(a.rules) ? a.rules : {};
  const lines = [`plan ${String(a.plan)}  run ${String(a.run)}`];
  if (rules.authentication === 'open') lines.push('OPEN: approvals are not signed (authentication: open)');
  else {
    const signers = Array.isArray(rules.signers) ? rules.signers.filter(isRecord) : [];
    const keys = (s: Record<string, unknown>) =>
      (Array.isArray(s.keys) ? s.keys.filter(isRecord) : [])
        .map((k) => {
          try {
            return fingerprint(parsePublicKey(String(k.key)).blob);
          } catch {
            return '?';
          }
        })
        .join(' ');
    lines.push(
      `signed by a key of: ${signers.map((s) => `${String(s.name)} (${keys(s)})`).join(', ') || 'nobody'}; counts ${String(rules.ttlSec)}s`,
    );
  }
  return lines.join('\n');
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

function modeOf(status: RemediationStatus): string | undefined {
  const plan = status.plan;
  return isRecord(plan) && isRecord(plan.autonomy) ? str(plan.autonomy.why) : undefined;
}

/** A status as a person reads it: the headline fields first, then everything else the workflow reports. */
export function renderStatus(status: RemediationStatus, execution?: string): string {
  const out = [`${status.workflowId}${execution ? `  (${execution})` : ''}`];
  const head: [string, unknown][] = [
    ['project', status.project],
    ['backend service', status.backendService],
    ['phase', status.phase],
    ['outcome', status.outcome ?? '-'],
    // The plan's mode and why (docs/autonomy.md); plans from before modes existed have none.
    ...(modeOf(status) ? [['mode', modeOf(status)] as [string, unknown]] : []),
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
