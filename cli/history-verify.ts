/**
 * `lbmedic history --verify`: every signed decision a closed remediation kept in its memo is checked
 * again, offline, against the approvers lbmedic is configured with: the signature over the payload,
 * the key registered to the approver it names and valid when the decision was taken, the payload
 * naming this workflow, this run and the plan the memo says was approved, and the memo's own words
 * (approver, key, reason) agreeing with what was signed. A record that fails any of it is flagged: a
 * memo edited after the fact, or approved under keys no longer registered.
 */
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { checkDecision } from '../activities/approvals';
import { SA } from '../core/search-attributes';
import type { Approver } from '../policies/schema';
import { isRecord } from './output';

export interface RecordCheck {
  decision: 'approve' | 'reject';
  approver: string;
  key: string;
  /** Why the record does not verify; absent when it does. */
  problem?: string;
}

export interface RunCheck {
  workflowId: string;
  runId: string;
  records: RecordCheck[];
  /** Problems of the run as a whole (the approvers search attribute against the records). */
  problems: string[];
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');

function checkRecord(
  w: Pick<WorkflowExecutionInfo, 'workflowId' | 'runId'>,
  rec: Record<string, unknown>,
  decision: 'approve' | 'reject',
  approvedPlan: string | undefined,
  registry: Approver[],
): RecordCheck {
  const base = { decision, approver: str(rec.approver) || '?', key: str(rec.key) || '?' };
  if (!rec.payload || !rec.signature)
    return { ...base, problem: 'unsigned: nothing proves who decided (authentication: open, or removed)' };
  const plan = /^plan: (\S+)$/m.exec(str(rec.payload))?.[1] ?? '';
  const verdict = checkDecision({
    request: { payload: str(rec.payload), signature: str(rec.signature) },
    decision,
    expect: {
      workflow: w.workflowId,
      run: w.runId,
      plan: decision === 'approve' ? (approvedPlan ?? '') : plan,
    },
    approval: { authentication: 'signed', signers: registry },
    now: str(rec.at) || new Date(0).toISOString(),
  });
  if (!verdict.ok) return { ...base, problem: verdict.refusal };
  const differs = (
    [
      ['approver', verdict.approver],
      ['key', verdict.key],
      ['reason', verdict.reason || undefined],
    ] as const
  ).filter(([field, signed]) => (rec[field] ?? undefined) !== signed);
  if (differs.length > 0)
    return {
      ...base,
      problem: `the memo does not say what was signed: ${differs.map(([f, v]) => `${f} ${JSON.stringify(rec[f])} ≠ signed ${JSON.stringify(v)}`).join(', ')}`,
    };
  return base;
}

/** Checks one closed run's decision records. */
export function verifyRun(
  w: Pick<WorkflowExecutionInfo, 'workflowId' | 'runId' | 'memo' | 'typedSearchAttributes'>,
  registry: Approver[],
): RunCheck {
  const memo = w.memo ?? {};
  const approvals = Array.isArray(memo.approvals) ? memo.approvals.filter(isRecord) : [];
  const approvedPlan = typeof memo.approvedPlan === 'string' ? memo.approvedPlan : undefined;
  const records = approvals.map((r) => checkRecord(w, r, 'approve', approvedPlan, registry));
  if (isRecord(memo.rejection)) records.push(checkRecord(w, memo.rejection, 'reject', undefined, registry));
  const problems: string[] = [];
  const named = [...(w.typedSearchAttributes.get(SA.approver) ?? [])].sort();
  const recorded = records
    .filter((r) => r.decision === 'approve')
    .map((r) => r.approver)
    .sort();
  if (named.join() !== recorded.join())
    problems.push(
      `LbmedicApprover says ${named.join(', ') || 'nobody'}, the memo's approvals ${recorded.join(', ') || 'nobody'}`,
    );
  return { workflowId: w.workflowId, runId: w.runId, records, problems };
}

/** One line per run with decisions, then a line per record that does not verify. */
export function renderChecks(checks: RunCheck[]): { text: string; failed: number } {
  const lines: string[] = [];
  let failed = 0;
  let counted = 0;
  for (const c of checks) {
    if (c.records.length === 0 && c.problems.length === 0) continue;
    const bad = c.records.filter((r) => r.problem).length + c.problems.length;
    failed += bad;
    counted += c.records.length;
    const who = c.records
      .map((r) => `${r.decision === 'reject' ? 'rejected by ' : ''}${r.approver} ${r.key}`)
      .join(', ');
    lines.push(`${bad ? 'FAILED  ' : 'verified'}  ${c.workflowId}  run ${c.runId}  ${who}`);
    for (const r of c.records.filter((x) => x.problem)) lines.push(`    ✗ ${r.approver}: ${r.problem}`);
    for (const p of c.problems) lines.push(`    ✗ ${p}`);
  }
  lines.push(
    failed
      ? `${failed} record(s) do not verify, of ${counted} decision(s) in ${checks.length} remediation(s)`
      : `all ${counted} signed decision(s) in ${checks.length} remediation(s) verify`,
  );
  return { text: lines.join('\n'), failed };
}
