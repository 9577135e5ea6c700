/**
 * The scope gate of a run (docs/safety.md, "Scope"): the receiver already refused alerts outside
 * the worker's scope, but a run can also be started by hand, or wait for an approval while the worker
 * is restarted with a narrower scope. So each round's decision checks the scope (activities/decide.ts)
 * before anything changes, and the scope is asked again after a wait for approval.
 */
import { patched } from '@temporalio/workflow';
import type { Decision } from '../activities/decide';
import { scopeFactsOf } from '../core/scope';
import type { Evidence } from '../core/evidence';
import type { RemediationResult, RunRecord } from './record';
import { rollBack } from './rollback';
import { decisions } from './stubs';

/** Ends a run outside the scope: nothing changed yet, OUT_OF_SCOPE; else its changes are undone. */
function leave(rec: RunRecord, why: string): Promise<RemediationResult> {
  const summary = `outside lbmedic's scope: ${why}`;
  if (rec.s.applied.length > 0) return rollBack(rec, summary);
  return rec.finish({ outcome: 'OUT_OF_SCOPE', summary: `${summary}; nothing was changed` });
}

/** How the run ends when the round's decision found it outside the scope; undefined inside it. */
export function outOfScope(rec: RunRecord, d: Decision): Promise<RemediationResult> | undefined {
  return d.outOfScope === undefined ? undefined : leave(rec, d.outOfScope);
}

/** The scope asked again (the worker's, now) after a wait for approval; undefined inside it. */
export async function stillInScope(rec: RunRecord, ev: Evidence): Promise<RemediationResult | undefined> {
  // Runs recorded before this check replay without it.
  if (!patched('scope-after-approval')) return undefined;
  const why = await decisions.scopeProblem(scopeFactsOf(ev));
  return why === undefined ? undefined : leave(rec, why);
}
