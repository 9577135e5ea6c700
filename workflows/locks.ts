/**
 * One writer per resource, from the remediation's side: before its snapshot a run takes the lock on
 * every resource it will change (workflows/lock.ts), in key order so two runs never wait on each other
 * in a circle; it gives them back when it ends, saying what it left changed. A run that would set a
 * resource back to what it was before another remediation's change, within that change's policy
 * window, stops there and escalates once, naming both (core/one-writer.ts `undoOf`).
 */
import {
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { failureMessage } from '../core/failure';
import { type LockRelease, lockWorkflowId, resourceKey, type Requester, undoOf } from '../core/one-writer';
import type { PlanStep } from '../core/plan';
import { lockAnswerSignal, lockReleaseSignal } from './lock-definitions';
import type { Ending, RunRecord } from './record';

/** How long a run waits for a resource another remediation is changing before it escalates. */
export const LOCK_WAIT_SEC = 15 * 60;
/** How long a lock may take to answer at all (it answers at once, granted or queued). */
const ANSWER_WITHIN_MS = 60_000;

// A local activity: asking is one signal-with-start, so no task-queue round trip for it.
const { requestLock } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 10 },
});

const me = (rec: RunRecord): Requester => ({ workflowId: rec.s.workflowId, runId: workflowInfo().runId });
const keyOf = (rec: RunRecord, step: PlanStep) => resourceKey(rec.s.input.project, step.resource);
const now = () => new Date().toISOString();

/** The locks' answers reach the run through this signal. */
export function installLockHandlers(rec: RunRecord): void {
  setHandler(lockAnswerSignal, (answer) => {
    rec.s.locks.answers[answer.key] = answer;
  });
}

/** Waits for the lock on `key`; false when another remediation still holds it after LOCK_WAIT_SEC. */
async function take(rec: RunRecord, key: string): Promise<boolean> {
  const { answers } = rec.s.locks;
  delete answers[key];
  await requestLock({ key, requester: me(rec) });
  const granted = () => answers[key]?.granted === true;
  await condition(() => answers[key] !== undefined, ANSWER_WITHIN_MS);
  if (!granted()) {
    const holder = answers[key]?.holder ?? 'another remediation';
    rec.setPhase(
      'WAITING_FOR_LOCK',
      `${key} is being changed by ${holder}: waiting up to ${LOCK_WAIT_SEC / 60} min`,
    );
    await condition(granted, LOCK_WAIT_SEC * 1000);
  }
  if (granted()) return true;
  // Withdraw, so the lock does not grant it to a run that stopped waiting.
  await tellLock(rec, key, { requester: me(rec) });
  return false;
}

/**
 * Takes the locks for `steps` (those not held yet). Returns how the run ends when it may not change
 * them: another remediation kept one too long, or a step would undo another remediation's change.
 */
export async function holdLocks(rec: RunRecord, steps: PlanStep[]): Promise<Ending | undefined> {
  const { locks } = rec.s;
  const keys = [...new Set(steps.map((s) => keyOf(rec, s)))].filter((k) => !locks.held.includes(k)).sort();
  for (const key of keys) {
    if (!(await take(rec, key))) {
      const holder = locks.answers[key]?.holder ?? 'another remediation';
      return {
        outcome: 'ESCALATED',
        summary: `${key} is being changed by ${holder}, still after ${LOCK_WAIT_SEC / 60} min: one writer per resource; nothing of this plan was applied to it`,
      };
    }
    locks.held.push(key);
    const last = locks.answers[key]?.lastWrite;
    const undo = undoOf(
      steps.filter((s) => keyOf(rec, s) === key),
      last,
      me(rec),
      now(),
    );
    if (!undo || !last) continue;
    const what = `${undo.step} would set ${undo.change.field} back from ${undo.change.before} to ${undo.change.after}, undoing what ${last.by.workflowId} (backend service ${last.backendService}) set on ${key} at ${last.at}`;
    if (last.escalatedBy) {
      return {
        outcome: 'BLOCKED_BY_LIMITS',
        summary: `${what}; ${last.escalatedBy} already escalated this flip-flop until ${last.until}`,
      };
    }
    locks.flipFlop = key;
    return {
      outcome: 'ESCALATED',
      summary: `flip-flop: ${rec.s.workflowId} ${what}. Two remediations want opposite values: a person must decide for both`,
    };
  }
  return undefined;
}

/** Tells the lock on `key` that this run gives it back (or stops waiting for it). */
async function tellLock(rec: RunRecord, key: string, release: LockRelease): Promise<void> {
  try {
    await getExternalWorkflowHandle(lockWorkflowId(key)).signal(lockReleaseSignal, release);
  } catch (err) {
    rec.note(`lock ${key} could not be told: ${failureMessage(err)}`);
  }
}

/**
 * Gives back every lock the run holds, once it has its outcome, saying what it left changed on each
 * resource (nothing when the changes were rolled back) and for how long undoing it counts as a
 * flip-flop: `windowSec`, the plan's cooldown. Runs even when the run is cancelled.
 */
export async function releaseLocks(rec: RunRecord, windowSec: number): Promise<void> {
  const { s } = rec;
  const held = s.locks.held.splice(0);
  if (held.length === 0) return;
  const at = now();
  const until = new Date(Date.now() + windowSec * 1000).toISOString();
  await CancellationScope.nonCancellable(async () => {
    for (const key of held) {
      const kept = s.outcome === 'ROLLED_BACK' ? [] : s.applied.filter((a) => keyOf(rec, a.step) === key);
      const wrote =
        kept.length > 0
          ? {
              backendService: s.input.backendService,
              stepIds: kept.map((a) => a.step.id),
              changes: kept.flatMap((a) => a.step.changes),
              at,
              until,
            }
          : undefined;
      await tellLock(rec, key, {
        requester: me(rec),
        ...(wrote ? { wrote } : {}),
        ...(s.locks.flipFlop === key ? { flipFlopEscalated: true } : {}),
      });
    }
  });
}
