/**
 * What the receiver does with a parsed notification: find the backend service(s), then hand the
 * incident to Temporal. The answer it returns (an HTTP status and an outcome) follows one rule: a 2xx
 * only once Temporal has accepted what was asked of it, or when retrying cannot help (a test
 * notification, an incident that names no backend). Anything transient is a 503, so Cloud Monitoring's
 * or Pub/Sub's redelivery covers an outage; the workflow dedups incidents, so redelivery is harmless.
 *
 * - open incident → `signalWithStart` of the remediation workflow of each backend service: starts it
 *   when none runs, else only attaches the incident (the `alert` signal);
 * - closed incident → the `alert` signal to a running remediation only; never a start. What a closed
 *   incident changes (an approval wait, never a running apply) is the workflow's policy to decide.
 *
 * Before any of it (docs/safety.md): an open incident that started longer ago than `maxAlertAgeSec`
 * is `stale`, and a target outside the scope (the project, before any lookup in it, then each
 * backend service) is `out-of-scope`; both are answered 2xx (a retry cannot help) and start nothing.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { GoogleApiError } from '../activities/google-errors';
import type { UrlMapResolver } from '../activities/url-maps';
import { alertTarget } from '../core/alert-targets';
import { toIncident, type WebhookNotification } from '../core/alerts';
import { alertAgeProblem, DEFAULT_MAX_ALERT_AGE_SEC } from '../core/freshness';
import { scopeProblem, type Scope } from '../core/scope';
import { alertSignal } from '../workflows/definitions';
import {
  REMEDIATION_WORKFLOW,
  remediationWorkflowId,
  type Incident,
  type RemediationInput,
} from '../core/model';

export interface IntakeOptions {
  client: Client;
  taskQueue: string;
  /** Deadline for each Temporal call, ms: past it the receiver answers 503 instead of hanging. */
  temporalTimeoutMs: number;
  /** What lbmedic may act on: anything else is answered `out-of-scope` and starts nothing. */
  scope: Scope;
  /** An open incident older than this (from its `started_at`) is `stale`; default 1 h. */
  maxAlertAgeSec?: number;
  /** URL map → backend services; without it, incidents naming only a URL map are unmapped. */
  resolveUrlMap?: UrlMapResolver;
  /**
   * Signal-with-starts in flight, by workflow id and incident: a duplicate that arrives while the
   * same one is on its way to Temporal waits for it instead of sending another (an alert storm).
   */
  inFlight?: Map<string, Promise<void>>;
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
  /** `accepted`: signal-with-start done; `signalled`: closed incident attached; `not-running`: none to tell. */
  result: 'accepted' | 'signalled' | 'not-running';
}

export interface IntakeResult {
  status: number;
  outcome: IntakeOutcome;
  message: string;
  incidentId?: string;
  targets?: TargetResult[];
}

/** Who started a remediation from an alert, recorded in its input. */
const TRIGGERED_BY = 'cloud-monitoring';

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** The backend services an alert names, and the region of a regional load balancer's. */
interface Found {
  project: string;
  services: string[];
  via: string;
  region?: string;
}

async function backendServicesOf(
  notification: WebhookNotification,
  opts: IntakeOptions,
): Promise<Found | IntakeResult> {
  const incidentId = notification.incident.incident_id;
  const target = alertTarget(notification.incident);
  if (target.kind === 'unmapped') {
    return { status: 200, outcome: 'unmapped', message: `not remediated: ${target.reason}`, incidentId };
  }
  // The project first: nothing is looked up in a project outside the scope (a label cannot lead there).
  const outside = scopeProblem(opts.scope, { project: target.project });
  if (outside) return outOfScope(outside, target.via, incidentId);
  if (target.kind === 'backendServices') {
    return inScope(
      opts.scope,
      {
        project: target.project,
        services: target.backendServices,
        via: target.via,
        ...(target.region ? { region: target.region } : {}),
      },
      incidentId,
    );
  }
  const via = `${target.via} → urlMaps.get ${target.urlMap}`;
  if (!opts.resolveUrlMap) {
    return {
      status: 200,
      outcome: 'unmapped',
      message: `not remediated: only URL map ${target.urlMap} is named and no Google Cloud access is configured to resolve it`,
      incidentId,
    };
  }
  try {
    const services = await opts.resolveUrlMap(target.project, target.urlMap);
    if (services.length === 0) {
      return {
        status: 200,
        outcome: 'unmapped',
        message: `not remediated: URL map ${target.urlMap} routes to no backend service`,
        incidentId,
      };
    }
    return inScope(opts.scope, { project: target.project, services, via }, incidentId);
  } catch (err) {
    if (err instanceof GoogleApiError && !err.retryable) {
      return {
        status: 200,
        outcome: 'unmapped',
        message: `not remediated: URL map ${target.urlMap} could not be read (${err.status} ${err.reason})`,
        incidentId,
      };
    }
    return {
      status: 503,
      outcome: 'gcp-unavailable',
      message: `URL map ${target.urlMap} could not be read, retry later: ${errorText(err)}`,
      incidentId,
    };
  }
}

function outOfScope(why: string, via: string, incidentId: string): IntakeResult {
  return { status: 200, outcome: 'out-of-scope', message: `not remediated: ${why} (via ${via})`, incidentId };
}

/** The backend services inside the scope; `out-of-scope` when none is. */
function inScope(scope: Scope, found: Found, incidentId: string): Found | IntakeResult {
  const problems = found.services.map((bs) =>
    scopeProblem(scope, { project: found.project, backendService: bs }),
  );
  const services = found.services.filter((_, i) => problems[i] === undefined);
  if (services.length > 0) return { ...found, services };
  return outOfScope(problems.join('; '), found.via, incidentId);
}

async function deliver(
  opts: IntakeOptions,
  target: { project: string; backendService: string; region: string | undefined },
  incident: Incident,
): Promise<TargetResult> {
  const { project, backendService, region } = target;
  const workflowId = remediationWorkflowId(project, backendService);
  const { client } = opts;
  const deadline = Date.now() + opts.temporalTimeoutMs;
  if (incident.state === 'open') {
    const input: RemediationInput = {
      project,
      backendService,
      ...(region ? { region } : {}),
      incidents: [incident],
      triggeredBy: TRIGGERED_BY,
    };
    const key = `${workflowId}\n${incident.incidentId}`;
    if (opts.recentlyAccepted?.has(key)) return { workflowId, result: 'accepted' };
    const pending = opts.inFlight?.get(key);
    if (pending) {
      // Answered 2xx only when the signal it joined was accepted by Temporal.
      await pending;
      return { workflowId, result: 'accepted' };
    }
    const sending = client.connection
      .withDeadline(deadline, () =>
        client.workflow.signalWithStart(REMEDIATION_WORKFLOW, {
          workflowId,
          taskQueue: opts.taskQueue,
          args: [input],
          signal: alertSignal,
          signalArgs: [incident],
        }),
      )
      .then(() => undefined);
    opts.inFlight?.set(key, sending);
    try {
      await sending;
      opts.recentlyAccepted?.add(key);
    } finally {
      opts.inFlight?.delete(key);
    }
    return { workflowId, result: 'accepted' };
  }
  try {
    await client.connection.withDeadline(deadline, () =>
      client.workflow.getHandle(workflowId).signal(alertSignal, incident),
    );
    return { workflowId, result: 'signalled' };
  } catch (err) {
    // No execution, or only closed ones: nothing is running that this incident could concern.
    if (err instanceof WorkflowNotFoundError) return { workflowId, result: 'not-running' };
    throw err;
  }
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
  const found = await backendServicesOf(notification, opts);
  if ('status' in found) return found;
  const incident = toIncident(notification.incident, source, receivedAt);
  const settled = await Promise.allSettled(
    found.services.map((bs) =>
      deliver(opts, { project: found.project, backendService: bs, region: found.region }, incident),
    ),
  );
  const failed = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed.length > 0) {
    return {
      status: 503,
      outcome: 'temporal-unavailable',
      message: `Temporal did not accept the incident, retry later: ${errorText(failed[0]?.reason)}`,
      incidentId,
    };
  }
  const targets = settled.map((s) => (s as PromiseFulfilledResult<TargetResult>).value);
  if (incident.state === 'open') {
    return {
      status: 200,
      outcome: 'accepted',
      message: `remediation requested for ${found.services.join(', ')} (via ${found.via})`,
      incidentId,
      targets,
    };
  }
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
