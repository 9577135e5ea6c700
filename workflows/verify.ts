/**
 * Verification of a change: wait for HEALTHY on the health check's own schedule, then check that the
 * load balancer's 5xx share came down too.
 */
import { CancellationScope } from '@temporalio/workflow';
import type { Evidence } from '../core/evidence';
import type { Plan } from '../core/plan';
import type { RunRecord } from './record';
import { collateralDamage } from './siblings';
import { reads, watch } from './stubs';

/** A verified fix must also bring the LB's 5xx share of requests below this. */
export const MAX_ERROR_RATE_AFTER_FIX = 0.05;
/**
 * Fewer LB responses than this since HEALTHY say nothing about the 5xx share (2 of 5 is not 40%):
 * HEALTHY alone decides.
 */
export const MIN_RESPONSES_FOR_ERROR_RATE = 20;
/** How long verification waits for that many responses after HEALTHY before HEALTHY alone decides. */
export const RESPONSES_WAIT_MS = 60_000;

/** Does the 5xx share since HEALTHY allow calling the fix good? With the timeline note that says why. */
export function errorRateVerdict(rate: {
  errors: number;
  total: number;
  /** The 5xx by statusDetails (absent in runs recorded before it was counted). */
  errorDetails?: Record<string, number>;
}): { ok: boolean; notes: string[] } {
  const tooFew = rate.total < MIN_RESPONSES_FOR_ERROR_RATE;
  const share = tooFew ? 0 : rate.errors / rate.total;
  const details = Object.entries(rate.errorDetails ?? {})
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([d, n]) => `${n} × ${d}`);
  const notes = [
    `after HEALTHY: ${rate.errors}/${rate.total} LB responses were 5xx${details.length ? ` (${details.join(', ')})` : ''}${
      tooFew ? ` (fewer than ${MIN_RESPONSES_FOR_ERROR_RATE}: too few to judge)` : ''
    }`,
  ];
  const ok = share <= MAX_ERROR_RATE_AFTER_FIX;
  if (!ok) notes.push(`5xx still at ${(share * 100).toFixed(1)}% after HEALTHY`);
  return { ok, notes };
}

/**
 * Waits for HEALTHY on the health check's physical schedule (activities/backend-health.ts
 * `awaitHealthy`); returns when HEALTHY (ISO) or undefined at the deadline.
 */
async function awaitHealthy(
  rec: RunRecord,
  ev: Evidence,
  p: Plan,
  changedAt: string,
): Promise<string | undefined> {
  const hc = ev.healthCheck.ok ? ev.healthCheck.value : null;
  const deadlineMs = Date.now() + p.verification.deadlineSec * 1000;
  const r = await watch.awaitHealthy.executeWithOptions(
    {
      startToCloseTimeout: (p.verification.deadlineSec + 120) * 1000,
      summary: `wait for ${Math.round(p.verification.healthyFraction * 100)}% HEALTHY until ${new Date(deadlineMs).toISOString()}`,
    },
    [
      {
        project: rec.s.input.project,
        backendService: rec.s.input.backendService,
        ...(rec.s.input.region ? { region: rec.s.input.region } : {}),
        changedAt,
        deadline: new Date(deadlineMs).toISOString(),
        healthyFraction: p.verification.healthyFraction,
        checkIntervalSec: hc?.checkIntervalSec ?? 5,
        healthyThreshold: hc?.healthyThreshold ?? 2,
      },
    ],
  );
  if (r.healthyAt) {
    rec.note(`HEALTHY: ${r.healthy}/${r.total} after ${r.polls} getHealth poll(s)`);
    return r.healthyAt;
  }
  rec.note(`deadline passed with ${r.healthy}/${r.total} HEALTHY after ${r.polls} getHealth poll(s)`);
  return undefined;
}

/** How a change verified: the target healthy, or another backend service it reaches made worse. */
export interface Verified {
  healthy: boolean;
  /** Set when the change made a backend service it reaches less healthy: the unit rolls back. */
  collateral?: string;
}

/**
 * Is the change verified: backends HEALTHY by the deadline, the 5xx share down since then, and every
 * other backend service the change reaches at least as healthy as before (watched meanwhile; collateral
 * stops the wait for HEALTHY at once)?
 */
export async function verified(rec: RunRecord, ev: Evidence, p: Plan): Promise<Verified> {
  rec.setPhase('VERIFYING', `waiting for ${Math.round(p.verification.healthyFraction * 100)}% HEALTHY`);
  const changedAt = new Date().toISOString();
  const target = new CancellationScope();
  const waiting = target.run(() => awaitHealthy(rec, ev, p, changedAt));
  const collateral = await collateralDamage(rec, changedAt);
  if (collateral) {
    target.cancel();
    await waiting.catch(() => undefined);
    rec.note(collateral);
    return { healthy: false, collateral };
  }
  const healthy = await waiting;
  if (!healthy) return { healthy: false };
  const { project, backendService, region } = rec.s.input;
  const verdict = errorRateVerdict(
    await reads.countLbResponses({
      project,
      backendService,
      ...(region ? { region } : {}),
      since: healthy,
      // HEALTHY can come at once (it may never have gone): wait for the requests that judge the fix.
      minResponses: MIN_RESPONSES_FOR_ERROR_RATE,
      waitMs: RESPONSES_WAIT_MS,
    }),
  );
  for (const n of verdict.notes) rec.note(n);
  return { healthy: verdict.ok };
}
