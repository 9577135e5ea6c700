/**
 * When a long-lived run must continue as new: Temporal suggests it (history count or size past the
 * server's thresholds, or too many updates), or the history passed lbmedic's own bounds, kept well
 * below the server's hard limits (50 Ki events, 50 MB) for servers configured otherwise.
 */
import { workflowInfo } from '@temporalio/workflow';

export const HISTORY_BOUNDS = { events: 10_000, bytes: 10 * 1024 * 1024 } as const;

export function historyFull(): boolean {
  const info = workflowInfo();
  return (
    info.continueAsNewSuggested ||
    info.historyLength > HISTORY_BOUNDS.events ||
    info.historySize > HISTORY_BOUNDS.bytes
  );
}
