/**
 * Heartbeats for activities that have nothing to report but their being alive. Without one, a read
 * running on a worker that is killed is only retried when its start-to-close timeout passes (minutes);
 * with one, within the heartbeat timeout the workflow sets (15 s).
 *
 * Not for activities that keep state in their heartbeat details (apply, notify, awaitHealthy): a bare
 * heartbeat would replace those details.
 */
import { asyncLocalStorage, Context } from '@temporalio/activity';

export const LIVENESS_EVERY_MS = 3_000;

export function withLiveness<T extends Record<string, (...args: never[]) => Promise<unknown>>>(
  activities: T,
): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      if (!asyncLocalStorage.getStore()) return fn(...args);
      const ctx = Context.current();
      ctx.heartbeat();
      const beat = setInterval(() => ctx.heartbeat(), LIVENESS_EVERY_MS);
      try {
        return await fn(...args);
      } finally {
        clearInterval(beat);
      }
    };
  }
  return wrapped as T;
}
