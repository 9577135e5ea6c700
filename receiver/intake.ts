/**
 * What the receiver does with a parsed notification: find the backend service(s), then hand the
 * incident to Temporal. The answer it returns (an HTTP status and an outcome) follows one rule: a 2xx
 * only once Temporal has accepted what was asked of it, or when retrying cannot help (a test
 * notification, an incident that names no backend, an alert the fleet limits refuse). Anything
 * transient is a 503, so Cloud Monitoring's or Pub/Sub's redelivery covers an outage; the workflows
 * dedup incidents, so redelivery is harmless.
 *
 * - an open incident older than `maxAlertAgeSec` → `stale`; a project or backend service outside the
 *   scope → `out-of-scope` (both 2xx, nothing starts);
 * - open incident for a backend service whose remediation runs → the `alert` signal to it: one call,
 *   however large the storm (and repeats within a minute are answered from memory);
 * - open incident for a backend service with none running, or naming only a URL map → the project's
 *   governor (workflows/governor.ts), by update-with-start: the one admission point, which resolves
 *   the URL map (the receiver holds no Google Cloud credentials or clients), applies the fleet limits
 *   and starts, attaches, queues (`queued`) or refuses (`fleet-limited`) each backend service;
 * - closed incident → the `alert` signal to a running remediation only; never a start. What a closed
 *   incident changes (an approval wait, never a running apply) is the workflow's policy to decide.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { alertTarget } from '../core/alert-targets';
import { toIncident, type WebhookNotification } from '../core/alerts';
import type { AdmitRequest, AdmitResult, TargetAdmission } from '../core/fleet';
import { alertAgeProblem, DEFAULT_MAX_ALERT_AGE_SEC } from '../core/freshness';
import { boundedIncident } from '../core/incidents';
import { remediationWorkflowId, type Incident } from '../core/model';
import { scopeProblem, type Scope } from '../core/scope';
import { alertSignal } from '../workflows/definitions';
import { Admissions, sendAdmissions } from './admissions';

export interface IntakeOptions {
  client: Client;
  /** Where remediations run (and the governors that start them, unless `governorTaskQueue` says otherwise). */
  taskQueue: string;
  /** Where the governors run, when a worker of their own serves them; default `taskQueue`. */
  governorTaskQueue?: string;
  /** Admissions batched per project (receiver/admissions.ts); without it, one update per alert. */
  admissions?: Admissions;
  /** Deadline for each Temporal call, ms: past it the receiver answers 503 instead of hanging. */
  temporalTimeoutMs: number;
  /**
   * What lbmedic may act on: anything else is answered `out-of-scope` and starts nothing. The
   * backend services behind a URL map are checked by the governor, in the worker, once it read them.
   */
  scope: Scope;
  /** An open incident older than this (from its `started_at`) is `stale`; default 1 h. */
  maxAlertAgeSec?: number;
  /**
   * Deliveries in flight, by workflow id and incident: a duplicate that arrives while the same one
   * is on its way to Temporal waits for it instead of sending another (an alert storm).
   */
  inFlight?: Map<string, Promise<TargetAdmission>>;
  /**
   * Open incidents Temporal accepted lately: the same incident for the same backend again within the
   * TTL is answered 2xx at once, backed by the signal already accepted (the workflow would drop it as
   * a duplicate anyway). What keeps an alert storm from becoming a Temporal storm.
   */
  recentlyAccepted?: RecentlyAccepted;
}

/** Keys (workflow id + incident) with an expiry; the oldest go first past `maxEntries`. */
export class RecentlyAccepted {
  private readonly until = new Map<string, number>();
  constructor(
    readonly ttlMs = 60_000,
    readonly maxEntries = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  has(key: string): boolean {
    const t = this.until.get(key);
    if (t === undefined) return false;
    if (t > this.now()) return true;
    this.until.delete(key);
    return false;
  }

  add(key: string): void {
    this.until.delete(key);
    this.until.set(key, this.now() + this.ttlMs);
    for (const oldest of this.until.keys()) {
      if (this.until.size <= this.maxEntries) break;
      this.until.delete(oldest);
    }
  }

  get size(): number {
    return this.until.size;
  }
}

/** What the receiver did with a notification (its answer's `outcome`; not a remediation's outcome). */
export type IntakeOutcome =
  | 'accepted'
  | 'queued'
  | 'fleet-limited'
  | 'signalled'
  | 'recorded'
  | 'test-notification'
  | 'unmapped'
  | 'out-of-scope'
  | 'stale'
  | 'temporal-unavailable'
  | 'gcp-unavailable';

export interface TargetResult {
  workflowId: string;
  /**
   * `accepted`: started or attached; `queued`: waits for a fleet slot; `fleet-limited`: refused by
   * the fleet limits; `signalled`: closed incident attached; `not-running`: none to tell.
   */
  result: TargetAdmission;
}

export interface IntakeResult {
  status: number;
  outcome: IntakeOutcome;
  message: string;
  incidentId?: string;
  targets?: TargetResult[];
}

/** A failure retrying can cure: answered 503 with this outcome. */
class Transient extends Error {
  constructor(
    readonly outcome: 'temporal-unavailable' | 'gcp-unavailable',
    message: string,
  ) {
    super(message);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** Where admissions go: the receiver's batching, or one update each (a caller without it). */
function admissionsOf(opts: IntakeOptions): Admissions {
  return (
    opts.admissions ??
    new Admissions((project, reqs) =>
      sendAdmissions(
        {
          client: opts.client,
          governorTaskQueue: opts.governorTaskQueue ?? opts.taskQueue,
          taskQueue: opts.taskQueue,
          timeoutMs: opts.temporalTimeoutMs,
        },
        project,
        reqs,
      ),
    )
  );
}

/**
 * Asks the project's governor (started if none runs) to admit the incident. Waits for its answer,
 * within the Temporal deadline: a worker must be running for a new remediation to be admitted.
 */
async function admit(opts: IntakeOptions, project: string, req: AdmitRequest): Promise<AdmitResult> {
  let result: AdmitResult;
  try {
    result = await admissionsOf(opts).admit(project, req);
  } catch (err) {
    throw new Transient(
      'temporal-unavailable',
      `the governor of ${project} did not answer (is an lbmedic worker running on task queue ${opts.governorTaskQueue ?? opts.taskQueue}?): ${errorText(err)}`,
    );
  }
  if (result.retry)
    throw new Transient(req.urlMap ? 'gcp-unavailable' : 'temporal-unavailable', result.retry);
  return result;
}

/**
 * An open incident for one backend service: the `alert` signal to its running remediation, or, with
 * none running, an admission by the governor.
 */
async function deliverOpen(
  opts: IntakeOptions,
  project: string,
  backendService: string,
  incident: Incident,
  via: string,
): Promise<TargetAdmission> {
  const { client } = opts;
  const workflowId = remediationWorkflowId(project, backendService);
  const key = `${workflowId}\n${incident.incidentId}`;
  if (opts.recentlyAccepted?.has(key)) return 'accepted';
  const pending = opts.inFlight?.get(key);
  // Answered 2xx only when the delivery it joined was.
  if (pending) return pending;
  const sending = (async (): Promise<TargetAdmission> => {
    try {
      await client.connection.withDeadline(Date.now() + opts.temporalTimeoutMs, () =>
        client.workflow.getHandle(workflowId).signal(alertSignal, incident),
      );
      return 'accepted';
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
    const answer = await admit(opts, project, { incident, backendServices: [backendService], via });
    return answer.targets[0]?.result ?? 'accepted';
  })();
  opts.inFlight?.set(key, sending);
  try {
    const result = await sending;
    if (result === 'accepted') opts.recentlyAccepted?.add(key);
    return result;
  } finally {
    opts.inFlight?.delete(key);
  }
}

/** A closed incident for one backend service: only a running remediation hears of it. */
async function deliverClosed(
  opts: IntakeOptions,
  project: string,
  backendService: string,
  incident: Incident,
) {
  const workflowId = remediationWorkflowId(project, backendService);
  const { client } = opts;
  try {
    await client.connection.withDeadline(Date.now() + opts.temporalTimeoutMs, () =>
      client.workflow.getHandle(workflowId).signal(alertSignal, incident),
    );
    return 'signalled' as const;
  } catch (err) {
    // No execution, or only closed ones: nothing is running that this incident could concern.
    if (err instanceof WorkflowNotFoundError) return 'not-running' as const;
    throw err;
  }
}

/** The answer's outcome for an open incident: the most limited of its targets'. */
const SEVERITY: TargetAdmission[] = ['accepted', 'queued', 'fleet-limited'];

function openAnswer(targets: TargetResult[], project: string, via: string, incidentId: string): IntakeResult {
  const worst = targets.reduce<TargetAdmission>(
    (w, t) => (SEVERITY.indexOf(t.result) > SEVERITY.indexOf(w) ? t.result : w),
    'accepted',
  );
  const names = (r: TargetAdmission) =>
    targets
      .filter((t) => t.result === r)
      .map((t) => t.workflowId.split('/').at(-1))
      .join(', ');
  const parts = [
    names('accepted') && `remediation requested for ${names('accepted')} (via ${via})`,
    names('queued') &&
      `queued: the fleet limits of ${project} are reached; ${names('queued')} start(s) when a slot frees`,
    names('fleet-limited') &&
      `refused: the fleet limits of ${project} are reached and its queue is full; ${names('fleet-limited')} not remediated`,
  ].filter(Boolean);
  return { status: 200, outcome: worst as IntakeOutcome, message: parts.join('; '), incidentId, targets };
}

function closedAnswer(targets: TargetResult[], incidentId: string): IntakeResult {
  const running = targets.filter((t) => t.result === 'signalled');
  return {
    status: 200,
    outcome: running.length > 0 ? 'signalled' : 'recorded',
    message:
      running.length > 0
        ? `closed incident passed to the running remediation of ${running.map((t) => t.workflowId).join(', ')}`
        : 'recorded: no remediation running',
    incidentId,
    targets,
  };
}

type Target = ReturnType<typeof alertTarget>;

/**
 * The alert's target inside the scope: the project first (nothing is looked up in a project outside
 * it, and a label cannot lead there), then the named backend services; the ones behind a URL map
 * are checked by the governor once the worker read them.
 */
function inScope(scope: Scope, target: Target): Target | { kind: 'outOfScope'; reason: string } {
  if (target.kind === 'unmapped') return target;
  const outside = scopeProblem(scope, { project: target.project });
  if (outside) return { kind: 'outOfScope', reason: `${outside} (via ${target.via})` };
  if (target.kind !== 'backendServices') return target;
  const problems = target.backendServices.map((bs) =>
    scopeProblem(scope, { project: target.project, backendService: bs }),
  );
  const backendServices = target.backendServices.filter((_, i) => problems[i] === undefined);
  if (backendServices.length > 0) return { ...target, backendServices };
  return { kind: 'outOfScope', reason: `${problems.join('; ')} (via ${target.via})` };
}

/** Handles one parsed notification; never throws. */
export async function intakeNotification(
  notification: WebhookNotification,
  test: boolean,
  source: string,
  opts: IntakeOptions,
  receivedAt: string,
): Promise<IntakeResult> {
  const incidentId = notification.incident.incident_id;
  if (test) {
    return {
      status: 200,
      outcome: 'test-notification',
      message: 'test notification received: the channel reaches lbmedic; nothing was started',
      incidentId,
    };
  }
  if (notification.incident.state === 'open') {
    const maxAge = opts.maxAlertAgeSec ?? DEFAULT_MAX_ALERT_AGE_SEC;
    const stale = alertAgeProblem(
      notification.incident.started_at ?? undefined,
      new Date(receivedAt),
      maxAge,
    );
    if (stale) return { status: 200, outcome: 'stale', message: `not remediated: ${stale}`, incidentId };
  }
  const target = inScope(opts.scope, alertTarget(notification.incident));
  if (target.kind === 'unmapped') {
    return { status: 200, outcome: 'unmapped', message: `not remediated: ${target.reason}`, incidentId };
  }
  if (target.kind === 'outOfScope') {
    return { status: 200, outcome: 'out-of-scope', message: `not remediated: ${target.reason}`, incidentId };
  }
  const region = target.kind === 'backendServices' ? target.region : undefined;
  const incident = boundedIncident({
    ...toIncident(notification.incident, source, receivedAt),
    ...(region ? { region } : {}),
  });
  try {
    if (target.kind === 'urlMap') {
      const answer = await admit(opts, target.project, { incident, urlMap: target.urlMap, via: target.via });
      if (answer.unmapped) return { status: 200, outcome: 'unmapped', message: answer.unmapped, incidentId };
      if (answer.outOfScope)
        return { status: 200, outcome: 'out-of-scope', message: answer.outOfScope, incidentId };
      const targets = answer.targets.map(({ workflowId, result }) => ({ workflowId, result }));
      return incident.state === 'open'
        ? openAnswer(targets, target.project, answer.via, incidentId)
        : closedAnswer(targets, incidentId);
    }
    const deliver = incident.state === 'open' ? deliverOpen : deliverClosed;
    const settled = await Promise.allSettled(
      target.backendServices.map((bs) => deliver(opts, target.project, bs, incident, target.via)),
    );
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const targets = settled.map((r, i) => ({
      workflowId: remediationWorkflowId(target.project, target.backendServices[i]!),
      result: (r as PromiseFulfilledResult<TargetAdmission>).value,
    }));
    return incident.state === 'open'
      ? openAnswer(targets, target.project, target.via, incidentId)
      : closedAnswer(targets, incidentId);
  } catch (err) {
    const outcome = err instanceof Transient ? err.outcome : 'temporal-unavailable';
    const why = err instanceof Transient ? err.message : errorText(err);
    return {
      status: 503,
      outcome,
      message: `${outcome === 'gcp-unavailable' ? 'the URL map could not be resolved' : 'Temporal did not accept the incident'}, retry later: ${why}`,
      incidentId,
    };
  }
}
