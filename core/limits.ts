/**
 * Limits that hold across workflow runs: cooldown, a daily maximum and a circuit breaker. Pure: the
 * past remediations are read from Temporal's visibility store by an activity.
 */
import { APPLIED_OUTCOMES } from './model';
import type { Plan } from './plan';

/** Outcomes that count as a failed remediation for the circuit breaker. */
export const FAILED_OUTCOMES = ['ROLLED_BACK', 'ROLLBACK_FAILED'] as const;

export interface PastRemediation {
  workflowId: string;
  runId: string;
  /** ISO time the run closed. */
  closedAt: string;
  outcome: string;
}

export type LimitVerdict = { allowed: true } | { allowed: false; reason: string };

const applied = (r: PastRemediation) => (APPLIED_OUTCOMES as readonly string[]).includes(r.outcome);

/** May a plan with these limits be applied now, given the runs that closed before? */
export function checkLimits(past: PastRemediation[], limits: Plan['limits'], now: Date): LimitVerdict {
  const newestFirst = past.filter(applied).sort((a, b) => b.closedAt.localeCompare(a.closedAt));
  const last = newestFirst[0];
  if (last) {
    const since = (now.getTime() - Date.parse(last.closedAt)) / 1000;
    if (since < limits.cooldownSec) {
      return {
        allowed: false,
        reason: `cooldown: the last remediation (${last.outcome}, ${last.workflowId}) closed ${Math.round(since)}s ago; the policy asks for ${limits.cooldownSec}s`,
      };
    }
  }
  const dayAgo = now.getTime() - 86_400_000;
  const today = newestFirst.filter((r) => Date.parse(r.closedAt) > dayAgo);
  if (today.length >= limits.maxPerDay) {
    return {
      allowed: false,
      reason: `daily limit: ${today.length} remediations in the last 24h; the policy allows ${limits.maxPerDay}`,
    };
  }
  // Consecutive failures within the last 24 hours: the breaker resets a day after the last failure,
  // or at once when a remediation succeeds.
  let failures = 0;
  for (const r of today) {
    if (!(FAILED_OUTCOMES as readonly string[]).includes(r.outcome)) break;
    failures += 1;
  }
  if (failures >= limits.circuitBreakerFailures) {
    return {
      allowed: false,
      reason: `circuit breaker: the last ${failures} remediations failed within 24h; a person must look`,
    };
  }
  return { allowed: true };
}
