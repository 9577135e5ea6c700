/**
 * Backtests (docs/autonomy.md): what today's classifier and policies would have decided on a closed
 * run's recorded evidence, against what was decided then. Pure: the evidence is rebuilt from the
 * run's history (activities/recorded-decisions.ts), the decision is the `decide` activity's own code,
 * and this compares the two in the terms people review a policy change in: cause, plan, mode.
 */
import type { Plan } from './plan';

/** A decision as a backtest compares it. */
export interface DecisionView {
  causes: string[];
  planHash: string;
  /** Each step as `id field: before → after`, in order. */
  steps: string[];
  /** `auto`, `suggest` or `observe`, with `, dry-run` when nothing would be applied. */
  mode: string;
}

export interface BacktestDiff {
  cause?: { then: string[]; now: string[] };
  plan?: { then: string[]; now: string[] };
  mode?: { then: string; now: string };
}

/** The mode of a plan; plans recorded before modes existed read it from their approval. */
export function modeOfPlan(plan: Pick<Plan, 'approval' | 'dryRun' | 'autonomy' | 'steps'>): string {
  if (plan.steps.length === 0) return 'nothing to apply';
  const mode = plan.autonomy?.mode ?? (plan.approval.mode === 'manual' ? 'suggest' : 'auto');
  return plan.dryRun && mode !== 'observe' ? `${mode}, dry-run` : mode;
}

/** What a backtest keeps of a decision. */
export function viewOf(d: {
  diagnosis: { findings: { cause: string }[] };
  plan: Pick<Plan, 'approval' | 'dryRun' | 'autonomy' | 'steps'>;
  planHash: string;
}): DecisionView {
  return {
    causes: [...new Set(d.diagnosis.findings.map((f) => f.cause))].sort(),
    planHash: d.planHash,
    steps: d.plan.steps.flatMap((s) => s.changes.map((c) => `${s.id} ${c.field}: ${c.before} → ${c.after}`)),
    mode: modeOfPlan(d.plan),
  };
}

/** Where `now` differs from `then`: nothing when the same causes, the same plan hash and mode. */
export function diffDecisions(then: DecisionView, now: DecisionView): BacktestDiff {
  const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  return {
    ...(same(then.causes, now.causes) ? {} : { cause: { then: then.causes, now: now.causes } }),
    ...(then.planHash === now.planHash ? {} : { plan: { then: then.steps, now: now.steps } }),
    ...(then.mode === now.mode ? {} : { mode: { then: then.mode, now: now.mode } }),
  };
}

/** One backtested run. */
export interface BacktestRow {
  workflowId: string;
  runId: string;
  closedAt: string;
  outcome: string;
  diff?: BacktestDiff;
  /** Why the run could not be backtested (no recorded decision: it ended before deciding). */
  skipped?: string;
}

const list = (xs: string[]) => (xs.length ? xs.join(', ') : 'none');

/** The report: each run whose decision would differ, with how; then the counts. */
export function renderBacktest(rows: BacktestRow[], since: string): string {
  const out: string[] = [];
  let same = 0;
  let skipped = 0;
  for (const r of rows) {
    if (r.skipped) skipped += 1;
    const d = r.diff;
    if (!d || Object.keys(d).length === 0) {
      if (!r.skipped) same += 1;
      continue;
    }
    out.push(`differs  ${r.workflowId}  run ${r.runId}  closed ${r.closedAt}  ${r.outcome}`);
    if (d.cause) out.push(`    cause: ${list(d.cause.then)} → ${list(d.cause.now)}`);
    if (d.mode) out.push(`    mode:  ${d.mode.then} → ${d.mode.now}`);
    if (d.plan) {
      out.push(
        '    plan then:',
        ...(d.plan.then.length ? d.plan.then : ['(no change)']).map((s) => `      ${s}`),
      );
      out.push(
        '    plan now:',
        ...(d.plan.now.length ? d.plan.now : ['(no change)']).map((s) => `      ${s}`),
      );
    }
  }
  const differ = rows.length - same - skipped;
  out.push(
    `${differ} of ${rows.length - skipped} decision(s) would differ, ${same} the same, in remediations closed in the last ${since}${
      skipped ? `; ${skipped} run(s) recorded no decision` : ''
    } (nothing was changed)`,
  );
  return out.join('\n');
}
