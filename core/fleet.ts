/**
 * Fleet limits of one project, as pure decisions over a small state: at most `maxConcurrent`
 * remediations at once, at most `maxNew` new ones per window, a bounded queue for the rest, and the
 * fleet circuit breaker (`breaker.backendServices` distinct backend services alerting within
 * `breaker.windowSec` suggest a provider or global incident: automatic apply pauses for the project).
 * The governor workflow (workflows/governor.ts) is the one place that applies them, so two receivers
 * never both start the tenth remediation. Sandbox-safe; times are epoch milliseconds of workflow time.
 */
import type { Incident } from './model';

export interface FleetSettings {
  /** Remediations of one project running at once. */
  maxConcurrent: number;
  /** New remediations of one project per window. */
  maxNew: number;
  windowSec: number;
  /** Alerts kept waiting for a free slot; beyond it, alerts are refused (`fleet-limited`). */
  queue: number;
  breaker: {
    /** Distinct backend services alerting within the window that trip the breaker. */
    backendServices: number;
    windowSec: number;
  };
}

/** An alert waiting for a slot: the first incident for the backend service, and how many came. */
export interface QueuedAlert {
  backendService: string;
  incident: Incident;
  alerts: number;
  /** Epoch ms. */
  queuedAt: number;
}

export interface Breaker {
  /** When it tripped (ISO). */
  since: string;
  /** The backend services that had alerted within the window when it tripped. */
  backendServices: string[];
}

export interface FleetCounts {
  started: number;
  attached: number;
  queued: number;
  refused: number;
}

export interface FleetState {
  /** Backend services started by the governor and not yet seen to have ended. */
  running: string[];
  /** When the starts within the window were made (at most `maxNew` kept). */
  starts: number[];
  queue: QueuedAlert[];
  /** The most recent distinct alerting backend services with their last alert (at most the breaker's threshold). */
  alerting: [string, number][];
  breaker?: Breaker;
  counts: FleetCounts;
}

export function newFleetState(): FleetState {
  return {
    running: [],
    starts: [],
    queue: [],
    alerting: [],
    counts: { started: 0, attached: 0, queued: 0, refused: 0 },
  };
}

/** What to do with an open alert for a backend service. */
export type Admission = 'attach' | 'start' | 'queue' | 'refuse';

const startsWithin = (s: FleetState, now: number, f: FleetSettings) =>
  s.starts.filter((t) => now - t < f.windowSec * 1000).length;

/** Is there a free slot: fewer than `maxConcurrent` running and fewer than `maxNew` started in the window? */
export function canStart(s: FleetState, now: number, f: FleetSettings): boolean {
  return s.running.length < f.maxConcurrent && startsWithin(s, now, f) < f.maxNew;
}

/** When the window next frees a start (epoch ms), or undefined when it is not what holds starts back. */
export function nextWindowSlot(s: FleetState, now: number, f: FleetSettings): number | undefined {
  const inWindow = s.starts.filter((t) => now - t < f.windowSec * 1000).sort((a, b) => a - b);
  if (inWindow.length < f.maxNew) return undefined;
  return (inWindow[0] ?? now) + f.windowSec * 1000;
}

/**
 * Decides on an open alert and records the decision in `s` (no await between the two, so concurrent
 * handlers cannot both take the last slot): a running one is attached to, a free slot starts one, a
 * full fleet queues it while the queue has room, and refuses it after that.
 */
export function admit(
  s: FleetState,
  backendService: string,
  incident: Incident,
  now: number,
  f: FleetSettings,
): Admission {
  if (s.running.includes(backendService)) {
    s.counts.attached += 1;
    return 'attach';
  }
  const queued = s.queue.find((q) => q.backendService === backendService);
  if (queued) {
    queued.alerts += 1;
    s.counts.queued += 1;
    return 'queue';
  }
  if (canStart(s, now, f)) {
    recordStart(s, backendService, now, f);
    return 'start';
  }
  if (s.queue.length < f.queue) {
    s.queue.push({ backendService, incident, alerts: 1, queuedAt: now });
    s.counts.queued += 1;
    return 'queue';
  }
  s.counts.refused += 1;
  return 'refuse';
}

/** Takes a slot for `backendService`. */
export function recordStart(s: FleetState, backendService: string, now: number, f: FleetSettings): void {
  s.running.push(backendService);
  s.starts = [...s.starts.filter((t) => now - t < f.windowSec * 1000), now].slice(-f.maxNew);
  s.counts.started += 1;
}

/** Gives a slot back: the start failed, or the remediation ended. */
export function release(s: FleetState, backendService: string): void {
  s.running = s.running.filter((b) => b !== backendService);
}

/** Undoes {@link recordStart}: the start did not happen. */
export function undoStart(s: FleetState, backendService: string): void {
  release(s, backendService);
  s.starts.pop();
  s.counts.started -= 1;
}

/** The queued alerts that may start now, taken off the queue (oldest first), their slots taken. */
export function dequeue(s: FleetState, now: number, f: FleetSettings): QueuedAlert[] {
  const out: QueuedAlert[] = [];
  while (s.queue.length > 0 && canStart(s, now, f)) {
    const next = s.queue.shift()!;
    recordStart(s, next.backendService, now, f);
    out.push(next);
  }
  return out;
}

/**
 * Notes that `backendService` alerted. Returns the breaker when this alert trips it (once: a tripped
 * breaker is not tripped again until it closed).
 */
export function noteAlerting(
  s: FleetState,
  backendService: string,
  now: number,
  f: FleetSettings,
): Breaker | undefined {
  const windowMs = f.breaker.windowSec * 1000;
  // The most recent `backendServices` distinct ones are enough to tell whether that many alerted
  // within the window: if the oldest of them is inside it, so are all the others.
  const others = s.alerting.filter(([b, t]) => b !== backendService && now - t < windowMs);
  s.alerting = [...others, [backendService, now] as [string, number]].slice(-f.breaker.backendServices);
  if (s.breaker || s.alerting.length < f.breaker.backendServices) return undefined;
  s.breaker = { since: new Date(now).toISOString(), backendServices: s.alerting.map(([b]) => b).sort() };
  return s.breaker;
}

/**
 * Closes a tripped breaker once fewer than its threshold of backend services alerted within its
 * window (the storm has passed). Returns true when it closed.
 */
export function closeBreakerIfCalm(s: FleetState, now: number, f: FleetSettings): boolean {
  if (!s.breaker) return false;
  const windowMs = f.breaker.windowSec * 1000;
  s.alerting = s.alerting.filter(([, t]) => now - t < windowMs);
  if (s.alerting.length >= f.breaker.backendServices) return false;
  delete s.breaker;
  return true;
}

/** When a tripped breaker may next close (epoch ms): the oldest alert leaving the window. */
export function breakerCheckAt(s: FleetState, f: FleetSettings): number | undefined {
  if (!s.breaker) return undefined;
  const oldest = Math.min(...s.alerting.map(([, t]) => t));
  return Number.isFinite(oldest) ? oldest + f.breaker.windowSec * 1000 : undefined;
}

/** The fleet breaker's notification, in words. */
export function breakerSummary(project: string, b: Breaker, f: FleetSettings): string {
  return (
    `fleet circuit breaker: ${b.backendServices.length} backend services of ${project} alerted within ` +
    `${Math.round(f.breaker.windowSec / 60)} min — a provider or global incident is suspected. Automatic ` +
    `apply is paused for ${project}: every remediation that plans from now on waits for a person ` +
    `(lbmedic approve). It closes by itself once fewer than ${f.breaker.backendServices} backend services ` +
    `alert within the window, or with lbmedic resume --project ${project}.`
  );
}

/** What the receiver asks a governor: an incident for named backend services, or for a URL map only. */
export interface AdmitRequest {
  incident: Incident;
  /** The backend services the alert names; absent when only a URL map is named. */
  backendServices?: string[];
  /** Resolved by the worker (the receiver holds no Google Cloud credentials). */
  urlMap?: string;
  /** How the receiver found the target, for its answer. */
  via: string;
}

/** What became of an incident for one backend service. */
export type TargetAdmission = 'accepted' | 'queued' | 'fleet-limited' | 'signalled' | 'not-running';

export interface AdmitResult {
  via: string;
  /** Nothing to admit: the URL map routes to no backend service, or cannot be read (permanent). */
  unmapped?: string;
  /** Every backend service behind the URL map is outside the worker's scope: why. */
  outOfScope?: string;
  /** A transient failure (a URL map read, a start): the alert should be delivered again. */
  retry?: string;
  targets: { backendService: string; workflowId: string; result: TargetAdmission }[];
}

/** Backend services one admission may name (a URL map behind more is cut). */
export const MAX_TARGETS_PER_ALERT = 50;
/** Alerts one admit update carries (a receiver batches what arrives while one is in flight). */
export const MAX_ALERTS_PER_ADMISSION = 50;
