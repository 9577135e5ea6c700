/**
 * Approval only ever tightens: once a run needs a person (an alert asked for one, a plan of the run
 * did, the fleet circuit breaker tripped, an earlier run ended while waiting for one), every later
 * plan of the run and of its continuations waits for a person too, whatever policies and later
 * alerts say. Pure; applied in the recorded `decide` activity so the plan reads as it is.
 */
import { floorAt } from './autonomy';
import type { Plan } from './plan';

/** The longest a tightened plan waits for a person, as for the `lbmedic_approval: manual` label. */
const TIGHTENED_TIMEOUT_SEC = 1800;

/** `plan` needing a person for `why`, when it would otherwise apply on its own. */
export function requirePerson(plan: Plan, why: string | undefined): Plan {
  if (!why || plan.approval.mode === 'manual') return plan;
  return {
    ...plan,
    ...(plan.autonomy ? { autonomy: floorAt(plan.autonomy, why) } : {}),
    approval: {
      ...plan.approval,
      mode: 'manual',
      timeoutSec: Math.min(plan.approval.timeoutSec, TIGHTENED_TIMEOUT_SEC),
    },
    notes: [...plan.notes, `approval is manual: ${why}`],
  };
}
