/**
 * The activities the remediation calls, grouped by the timeouts and retries their kind of work needs.
 * Workflows see activities as types only: every call goes through one of these stubs.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

/**
 * Reads are local activities: run by the worker inside the workflow task, recorded as markers, with no
 * task-queue round trip each (the diagnosis reads nine sources). A worker that dies while reading
 * loses its workflow task; the next worker reads again (reads change nothing).
 */
export const reads = proxyLocalActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  // The Google clients already retry each read; this rides out longer outages (about 5 minutes).
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 8,
  },
});

export const probe = proxyLocalActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 2 },
});

/**
 * The decisions (activities/decide.ts): pure code run outside the sandbox and recorded, so a replay
 * keeps the decision the run was made with (docs/versioning.md). It does no I/O, so a second failure
 * is a bug: the workflow then fails its task, and a fixed worker decides again.
 */
export const decisions = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 2 },
});

/** The wait for HEALTHY: long, heartbeating; a new worker takes over within the heartbeat timeout. */
export const watch = proxyActivities<Activities>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 5 },
});

export const announce = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '15 seconds',
  retry: { initialInterval: '2 seconds', maximumAttempts: 5 },
});

export const mutations = proxyActivities<Activities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumAttempts: 6 },
});

/**
 * The gate before a change (the kill switches and the fleet breaker, read from Temporal) and the
 * governor's settings: short local reads with a few quick retries.
 */
export const control = proxyLocalActivities<Activities>({
  startToCloseTimeout: '5 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumAttempts: 3 },
});

/**
 * What the governor and the kill switches ask of Temporal and Google (start or signal a remediation,
 * which still run, a URL map, wake held runs). Regular activities, not local ones: a local activity
 * keeps the workflow task open, and admissions (updates) arriving meanwhile are better taken by the
 * next task. Short, because a receiver waits for the admission.
 */
export const fleetCalls = proxyActivities<Activities>({
  startToCloseTimeout: '5 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumAttempts: 3 },
});
