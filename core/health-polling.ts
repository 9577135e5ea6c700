/**
 * When to ask getHealth after a fix. A backend turns HEALTHY only after `healthyThreshold`
 * consecutive successful probes, `checkIntervalSec` apart; so the physical floor after the change is
 * at most checkIntervalSec × healthyThreshold, and at least (healthyThreshold − 1) × checkIntervalSec.
 *
 * - one poll right away: a fix that needed no probe to flip (a timeout) is seen at once;
 * - nothing more until the earliest moment a flip is possible;
 * - then often (a tenth of the floor, at least 200 ms) until 1.25 × the floor, so HEALTHY is seen
 *   within a quarter of the floor of happening;
 * - then at the health check's own interval until the deadline: the fix is late, no need to hurry
 *   (and 100 remediations at once stay well inside Compute's read quota).
 */
export interface HealthPollingInput {
  checkIntervalSec: number;
  healthyThreshold: number;
}

export const MIN_POLL_MS = 200;

export interface HealthPolling {
  /** checkIntervalSec × healthyThreshold, ms. */
  floorMs: number;
  /** Delay after the change (ms) of the poll after the one at `elapsedMs`. */
  nextPollAt(elapsedMs: number): number;
}

export function healthPolling(hc: HealthPollingInput): HealthPolling {
  const intervalMs = Math.max(1, hc.checkIntervalSec) * 1000;
  const threshold = Math.max(1, Math.round(hc.healthyThreshold));
  const floorMs = intervalMs * threshold;
  const earliestMs = intervalMs * (threshold - 1);
  const fastMs = Math.max(MIN_POLL_MS, floorMs / 10);
  const fastUntilMs = floorMs * 1.25;
  return {
    floorMs,
    nextPollAt(elapsedMs) {
      if (elapsedMs < earliestMs) return earliestMs;
      if (elapsedMs < fastUntilMs) return elapsedMs + fastMs;
      return elapsedMs + intervalMs;
    },
  };
}
