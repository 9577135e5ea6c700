/**
 * RemediationWorkflow: one durable run per backend service that heals it or leaves it as it was.
 *
 * diagnose → decide → gate (dry-run, limits, approval, locks) → snapshot → apply → verify
 *   → another backend service the change reaches made less healthy: roll back, naming it
 *   → healthy: REMEDIATED
 *   → not healthy: diagnose again (up to MAX_ROUNDS; new findings extend the same unit of change)
 *   → still not healthy: roll back every applied step from the snapshot, check it, escalate.
 * Orchestration only: the decisions run in the recorded `decide` local activity, I/O in activities.
 * Each stage has its file beside this one: diagnose.ts, approval.ts, locks.ts, change.ts, verify.ts
 * (siblings.ts), rollback.ts; record.ts says what happened (phase, notifications, search attributes,
 * memo, status); state.ts is the run's one state object; rules.ts the loop's pure rules; pause.ts the
 * fleet breaker and the kill switches; continuation.ts how a long wait continues as new and is resumed.
 */
import { workflowInfo } from '@temporalio/workflow';
import { failureMessage } from '../core/failure';
import { INCIDENT_MEMORY_HOURS } from '../core/freshness';
import { awaitApproval, installApprovalHandlers } from './approval';
import { applySteps, takeSnapshot } from './change';
import { resumedAt, type RemediationRunInput } from './continuation';
import { diagnose } from './diagnose';
import { holdLocks, installLockHandlers, releaseLocks } from './locks';
import { heedFleetBreaker, holdWhilePaused } from './pause';
import type { PastRemediation } from '../core/limits';
import { RunRecord, type Ending, type RemediationResult } from './record';
import { rollBack } from './rollback';
import { outOfScope, stillInScope } from './scope';
import { firstRoundEnding, NO_FAULT_ENDING, onFailure } from './rules';
import { newRunState } from './state';
import { reads } from './stubs';
import { verified } from './verify';

export type { RemediationResult } from './record';
export { MAX_ERROR_RATE_AFTER_FIX, MIN_RESPONSES_FOR_ERROR_RATE } from './verify';

/** Diagnose → apply → verify rounds before lbmedic gives up and rolls back. */
export const MAX_ROUNDS = 2;

export async function remediationWorkflow(input: RemediationRunInput): Promise<RemediationResult> {
  const rec = new RunRecord(newRunState(input, workflowInfo().workflowId, input.continued?.state));
  rec.installHandlers();
  installApprovalHandlers(rec);
  installLockHandlers(rec);
  rec.start();
  try {
    return await remediate(rec);
  } catch (err) {
    const action = onFailure(err, rec.s);
    if (action === 'rethrow') throw err;
    if (action === 'roll back')
      return rollBack(rec, `lbmedic failed while changing things: ${failureMessage(err)}`);
    return rec.finish({ outcome: 'ESCALATED', summary: `lbmedic could not finish: ${failureMessage(err)}` });
  } finally {
    await releaseLocks(rec, rec.s.plan?.limits.cooldownSec ?? 0);
  }
}

/** Diagnose → decide → gate → snapshot → apply → verify, in rounds; returns the outcome. */
async function remediate(rec: RunRecord): Promise<RemediationResult> {
  const { s } = rec;
  const history = s.input.continued ?? (await pastRuns(rec));
  if ('outcome' in history) return rec.finish(history);

  for (let round = s.input.continued?.round ?? 1; round <= MAX_ROUNDS; round++) {
    const resumed = resumedAt(s.input, round);
    if (!resumed) await heedFleetBreaker(rec);
    let { evidence, decision: d } = resumed ?? (await diagnose(rec, round, history.past));
    const outside = outOfScope(rec, d);
    if (outside) return outside;
    // A continuation goes on where its run stopped: the plan it carries is the one decided.
    if (!resumed && round === 1) {
      if (d.diagnosis.verdict === 'NO_FAULT') return rec.finish(NO_FAULT_ENDING);
      rec.planned(d.plan, d.rendered, true);
      if (d.plan.autonomy?.changes) rec.modesChanged(d.plan.autonomy.changes);
      const ending = firstRoundEnding(d);
      if (ending) return rec.finish(ending);
    } else if (!resumed) {
      // A later round only extends the unit of change; with nothing new to apply it rolls back.
      if (d.newSteps.length === 0 || d.plan.dryRun || !d.extended) break;
      rec.planned(d.extended.plan, d.extended.rendered, false);
      rec.note(
        `round ${round}: ${d.newSteps.length} more change(s): ${d.newSteps.map((x) => x.id).join(', ')}`,
      );
    }
    if (d.plan.approval.mode === 'manual' && resumed?.stage !== 'gate') {
      rec.requirePerson(`the plan of round ${round} waits for a person`);
      // Approved plans are read again before they are applied: go on with what was read.
      const approved = await awaitApproval(
        rec,
        { evidence, decision: d },
        () => diagnose(rec, round, history.past),
        { round, past: history.past },
      );
      if ('outcome' in approved) return rec.finish(approved);
      ({ evidence, decision: d } = approved);
      const left = outOfScope(rec, d) ?? (await stillInScope(rec, evidence));
      if (left) return left;
    }
    // The kill switches before the locks: a held run keeps no resource from anyone.
    await holdWhilePaused(rec, { round, evidence, decision: d, past: history.past });
    const conflict = await holdLocks(rec, d.newSteps);
    if (conflict) return s.applied.length > 0 ? rollBack(rec, conflict.summary) : rec.finish(conflict);
    const snapshot = await takeSnapshot(rec, d.newSteps);
    if (typeof snapshot === 'string') {
      return s.applied.length > 0
        ? rollBack(rec, `the backends did not recover; ${snapshot}`)
        : rec.finish({ outcome: 'ESCALATED', summary: snapshot });
    }
    const failure = await applySteps(rec, snapshot);
    if (failure) return rollBack(rec, `applying failed (${failure})`);
    const verdict = await verified(rec, evidence, d.plan);
    if (verdict.collateral) {
      rec.collateral = true;
      return rollBack(rec, verdict.collateral);
    }
    if (verdict.healthy) {
      const approvers = rec.approvedBy();
      const changed = s.applied.map((a) => a.step.id).join(', ');
      const approved = approvers.length ? `; approved by ${approvers.join(', ')}` : '';
      return rec.finish({
        outcome: 'REMEDIATED',
        summary: `${changed} changed; backends HEALTHY${approved}`,
      });
    }
  }
  return rollBack(rec, 'the backends did not recover');
}

/**
 * The closed runs the limits are judged on, or how the run ends at once: every incident it carries
 * was handled by an earlier run. An earlier run that ended without an outcome while it needed a
 * person (terminated, timed out) makes this one need a person too.
 */
async function pastRuns(rec: RunRecord): Promise<{ past: PastRemediation[] } | Ending> {
  const { s } = rec;
  const ids = rec.incidentIds();
  const history = await reads.pastRemediations({
    project: s.input.project,
    backendService: s.input.backendService,
    sinceHours: INCIDENT_MEMORY_HOURS,
    incidentIds: ids,
    workflowId: s.workflowId,
    runId: workflowInfo().runId,
  });
  if (history.unavailable) rec.note(`limits and incident de-duplication not checked: ${history.unavailable}`);
  if (history.needsPerson) rec.requirePerson(history.needsPerson);
  // Incidents that were only counted are not known by id: they may be new, so the run goes on.
  if (ids.length > 0 && s.overflow.deliveries === 0 && history.seenIncidents.length === ids.length) {
    const seen = history.seenIncidents.join(', ');
    return { outcome: 'DUPLICATE', summary: `incident(s) ${seen} were handled by an earlier run` };
  }
  return { past: history.remediations };
}
