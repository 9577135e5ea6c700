/**
 * Fresh evidence only (docs/safety.md, "Fresh evidence"): how old an alert may be before it starts
 * nothing, how long incident ids are remembered, and from when the diagnosis reads the load
 * balancer's request log. Pure and sandbox-safe: the receiver, the workflow and the CLI share it.
 */
import { APPLIED_OUTCOMES, type Incident } from './model';

/**
 * How far back a run looks for closed runs of its backend service: the limits, and incident
 * de-duplication (an incident id in the memo of a run closed within this window is not remediated
 * again). Temporal forgets a closed run after its namespace's retention period, which is at least
 * 1 day (https://docs.temporal.io/concepts/what-is-a-retention-period), so an incident id is
 * remembered for min(this, the retention) after its run closed.
 */
export const INCIDENT_MEMORY_HOURS = 24 * 7;
/** Temporal's smallest namespace retention: a closed run stays listed at least this long. */
export const TEMPORAL_MIN_RETENTION_HOURS = 24;
/**
 * The largest `maxAlertAge` the configuration accepts: half of the shortest memory any namespace
 * can have. An alert older than `maxAlertAge` starts nothing; a younger one finds its incident's
 * earlier run still running (the same workflow id) or closed less than `maxAlertAge` ago (a run
 * closes after its incident started), so the incident is always remembered, with a margin for
 * clocks that disagree.
 */
export const MAX_ALERT_AGE_LIMIT_SEC =
  (Math.min(INCIDENT_MEMORY_HOURS, TEMPORAL_MIN_RETENTION_HOURS) * 3600) / 2;
/** The default `maxAlertAge`: an hour after its incident started, an alert starts nothing. */
export const DEFAULT_MAX_ALERT_AGE_SEC = 3600;
/** A `started_at` this far ahead of the receiver's clock is a wrong clock or a made-up time. */
export const MAX_CLOCK_AHEAD_SEC = 300;

/**
 * Why an open incident is too old (or its age unknowable) to start a remediation; undefined when it
 * is fresh. `startedAt` is Cloud Monitoring's `started_at` (Unix seconds), which it sets on every
 * real incident: one without it (a hand-made alert) is refused, because a replay of it could not be
 * told from a new incident once its id is forgotten.
 */
export function alertAgeProblem(
  startedAt: number | undefined,
  receivedAt: Date,
  maxAgeSec: number,
): string | undefined {
  if (!startedAt) {
    return 'the incident has no started_at, so its age cannot be checked; Cloud Monitoring always sets it';
  }
  const ageSec = receivedAt.getTime() / 1000 - startedAt;
  if (ageSec < -MAX_CLOCK_AHEAD_SEC) {
    return `the incident's started_at (${new Date(startedAt * 1000).toISOString()}) is ${Math.round(-ageSec)}s in the future`;
  }
  if (ageSec > maxAgeSec) {
    return `the incident started ${Math.round(ageSec)}s ago (${new Date(startedAt * 1000).toISOString()}), more than maxAlertAge ${maxAgeSec}s`;
  }
  return undefined;
}

export interface LogsSinceInput {
  /** Workflow time (ISO). */
  now: string;
  /** The diagnosis window, minutes: never older than this. */
  windowMinutes: number;
  /** The run's incidents: the log is not read from before the earliest open one started. */
  incidents: Iterable<Pick<Incident, 'state' | 'startedAt'>>;
  /** Closed runs of the backend service (ISO close times and outcomes). */
  past: { closedAt: string; outcome: string }[];
  /** When this run last changed something (a later round), ISO. */
  changedAt?: string | undefined;
}

/**
 * From when the diagnosis reads the LB request log (ISO): the latest of the window's start, the
 * start of the earliest open incident, and the last change lbmedic made to the backend service (a
 * closed run that changed something, or this run's own change). 5xx from before a fix say nothing
 * about the backend after it: a just-healed backend reads NO_FAULT, not "symptoms without a cause".
 */
export function logsSince(input: LogsSinceInput): string {
  const candidates = [Date.parse(input.now) - input.windowMinutes * 60_000];
  const starts = [...input.incidents].flatMap((i) =>
    i.state === 'open' && i.startedAt ? [i.startedAt * 1000] : [],
  );
  if (starts.length > 0) candidates.push(Math.min(...starts));
  for (const r of input.past) {
    if ((APPLIED_OUTCOMES as readonly string[]).includes(r.outcome)) candidates.push(Date.parse(r.closedAt));
  }
  if (input.changedAt) candidates.push(Date.parse(input.changedAt));
  return new Date(Math.max(...candidates.filter(Number.isFinite))).toISOString();
}
