/**
 * One line that says what went wrong, for the timeline, summaries and unreadable evidence sources.
 * Pure and sandbox-safe: it recognises Temporal's failures by name, so core/ needs no Temporal import.
 */

/**
 * The message a person should read for `err`.
 * - An `ApplicationFailure` was raised on purpose (a Google error mapped once in activities/, a drift):
 *   its own message is the one meant for people.
 * - Any other error with an `Error` cause is a wrapper (an `ActivityFailure` says only "Activity task
 *   failed"): the cause says what really happened.
 * - Anything thrown that is not an `Error` is shown as text.
 */
export function failureMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === 'ApplicationFailure') return err.message;
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? cause.message : err.message;
}
