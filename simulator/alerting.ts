/**
 * Simulated Cloud Monitoring alerting: the alert policies a project holds (routes-monitoring.ts) are
 * evaluated on the World's clock over the traffic it produces, open and close incidents, and notify
 * their webhook channels (alerting-notify.ts). Conditions: alerting-conditions.ts.
 *
 * The delays are GCP's, in simulated time (the World's `timeScale` compresses them like every other
 * delay):
 * - **Sampling and ingestion.** GCP's metrics list, Load Balancing section
 *   (https://cloud.google.com/monitoring/api/metrics_gcp_i_o, read in a public copy of it): `https/request_count`
 *   "Sampled every 60 seconds. After sampling, data is not visible for up to 210 seconds";
 *   `https/internal/request_count` and `https/external/regional/request_count` "… up to 90 seconds".
 *   The evaluator sees a 60 s sample once its period has ended and the ingestion delay has passed, and
 *   takes the documented maximum so that the simulated alert is never earlier than a real one could be.
 * - **Alignment period and duration** come from the condition: a sliding look-back window
 *   (https://cloud.google.com/monitoring/alerts/concepts-indepth, "Alignment period"), evaluated once per
 *   sampling period, as there: "the condition is evaluated every minute".
 * - **Threshold incidents** open when a time series has met the condition for its duration (one incident
 *   per time series) and close when its newest value no longer violates: "the incident remains open
 *   until resources are no longer in an unhealthy state" (https://cloud.google.com/monitoring/alerts).
 *   Open and closed both notify (`notificationPrompts` default OPENED and CLOSED).
 * - **Log-match incidents** open on a matching log entry, at most one per
 *   `alertStrategy.notificationRateLimit.period` and 20 a day per policy ("The maximum rate of
 *   notifications would exceed the limit of 1 notification every 5 minutes for each log-based alerting
 *   policy", "20 notifications a day", https://cloud.google.com/logging/docs/alerting/log-based-incidents).
 *   They never notify on close: "For log-based alert policies, the notification prompts is always
 *   OPENED" (AlertStrategy.notificationPrompts, Monitoring API v3 reference).
 * - **autoClose**: "If an alert policy that was active has no data for this long, any open incidents
 *   will close" (AlertStrategy.autoClose, same reference): a threshold series with no value, a log-match
 *   incident with no matching entry, for that long. Unset: never.
 * No latency is added to log entries (log-based alerting latency is not documented; unverified).
 */
import { randomBytes } from 'node:crypto';
import { durationMs, evaluateThreshold, matchLog, metricTypeOf } from './alerting-conditions';
import type { IncidentFacts, SimNotification } from './alerting-notify';
import { Notifier, incidentPayload } from './alerting-notify';
import type { Project } from './model';
import type { NewLogEntry } from './telemetry';
import { MetricStore } from './traffic';

type Json = Record<string, unknown>;

/** GCP's alerting delays in simulated milliseconds. */
export interface AlertingDelays {
  /** The load balancer metrics' sampling period. */
  samplePeriodMs: number;
  /** Ingestion delay by metric type prefix (longest prefix wins); `default` for any other. */
  ingestionMs: Record<string, number>;
  /** Waits before each retry of a failed webhook delivery. */
  retryDelaysMs: number[];
}

export const GCP_ALERTING_DELAYS: AlertingDelays = {
  samplePeriodMs: 60_000,
  ingestionMs: {
    default: 210_000,
    'loadbalancing.googleapis.com/https/': 210_000,
    'loadbalancing.googleapis.com/https/internal/': 90_000,
    'loadbalancing.googleapis.com/https/external/regional/': 90_000,
  },
  retryDelaysMs: [30_000, 60_000, 120_000, 240_000],
};

/** Log-based policies: at most this many notifications a day (log-based-incidents, above). */
const LOG_MATCH_DAILY_LIMIT = 20;
const DAY_MS = 86_400_000;
/** Incidents kept for the control API per World (oldest closed ones go first). */
const INCIDENTS_KEPT = 1000;

/** An incident as the control API shows it (`GET /_sim/incidents`). */
export interface SimIncident extends IncidentFacts {
  project: string;
  policy: string;
  policyDisplayName: string;
  condition: string;
  conditionDisplayName: string;
  openedAt: string;
  closedAt?: string;
  /** Why it closed: the condition cleared, or autoClose. */
  closedBecause?: string;
  notifications: SimNotification[];
}

export type AlertEvent =
  | { kind: 'opened' | 'closed'; incident: SimIncident }
  | { kind: 'notified'; incident: SimIncident; notification: SimNotification };

interface Tracked {
  incident: SimIncident;
  /** Real ms of the last data (a value, a matching entry): autoClose counts from it. */
  lastDataMs: number;
}

/** A fresh Cloud Monitoring incident id (`0.` and twelve base-36 characters). */
export function newIncidentId(): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';
  return `0.${[...randomBytes(12)].map((b) => alphabet[b % alphabet.length]).join('')}`;
}

const isRecord = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

function enabled(item: Json): boolean {
  const e = item['enabled'];
  return !(e === false || (isRecord(e) && e['value'] === false));
}

export class AlertEvaluator {
  readonly delays: AlertingDelays;
  private readonly incidents: SimIncident[] = [];
  private readonly open = new Map<string, Tracked>();
  private readonly evaluatedUpTo = new Map<string, number>();
  /** Per log-match policy: the real ms of its incidents' openings (rate limit, daily limit). */
  private readonly logOpenings = new Map<string, number[]>();
  private readonly listeners = new Set<(event: AlertEvent) => void>();
  private readonly notifier: Notifier;

  constructor(private readonly timeScale: number) {
    this.delays = GCP_ALERTING_DELAYS;
    this.notifier = new Notifier({
      retryDelaysMs: this.delays.retryDelaysMs,
      scaled: (ms) => ms * this.timeScale,
      done: (id, notification) => {
        const incident = this.incidents.find((i) => i.incidentId === id);
        if (incident) this.emit({ kind: 'notified', incident, notification });
      },
    });
  }

  /** The per-project store the traffic writes its samples into (one sampling period per bucket). */
  sampleStore(): MetricStore {
    return new MetricStore(this.delays.samplePeriodMs * this.timeScale);
  }

  /** Subscribes to incidents opening, closing and their notifications; returns the unsubscribe. */
  onEvent(listener: (event: AlertEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Incidents, oldest first (of one project, when named). */
  list(projectId?: string): SimIncident[] {
    return this.incidents.filter((i) => projectId === undefined || i.project === projectId);
  }

  private emit(event: AlertEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // A listener's failure is its own; the simulation goes on.
      }
    }
  }

  private ingestionMs(metricType: string): number {
    const prefixes = Object.keys(this.delays.ingestionMs)
      .filter((p) => p !== 'default' && metricType.startsWith(p))
      .sort((a, b) => b.length - a.length);
    return this.delays.ingestionMs[prefixes[0] ?? 'default'] ?? this.delays.ingestionMs['default'] ?? 0;
  }

  private policies(project: Project): Json[] {
    return [...project.alertPolicies.values()].filter(enabled);
  }

  /** One tick of the World's clock: threshold conditions once per visible sampling period, autoClose. */
  tick(project: Project, samples: MetricStore | undefined, now: number): void {
    const period = this.delays.samplePeriodMs * this.timeScale;
    let series: ReturnType<MetricStore['timeSeries']> | undefined;
    for (const policy of this.policies(project)) {
      const conditions = Array.isArray(policy['conditions']) ? (policy['conditions'] as Json[]) : [];
      for (const condition of conditions) {
        const spec = condition['conditionThreshold'];
        if (!isRecord(spec) || samples === undefined) continue;
        const ingestion = this.ingestionMs(metricTypeOf(String(spec['filter'] ?? ''))) * this.timeScale;
        const visibleEnd = Math.floor((now - ingestion) / period) * period;
        const key = `${project.projectId}|${String(condition['name'])}`;
        if ((this.evaluatedUpTo.get(key) ?? 0) >= visibleEnd) continue;
        this.evaluatedUpTo.set(key, visibleEnd);
        series ??= samples.timeSeries(now);
        this.evaluateThreshold(project, policy, condition, spec, series, now, visibleEnd);
      }
    }
    this.autoClose(project, now);
  }

  private evaluateThreshold(
    project: Project,
    policy: Json,
    condition: Json,
    spec: Json,
    series: ReturnType<MetricStore['timeSeries']>,
    now: number,
    visibleEnd: number,
  ): void {
    let verdicts;
    try {
      verdicts = evaluateThreshold(spec, series, visibleEnd, this.timeScale);
    } catch {
      return; // A condition the simulator cannot evaluate stays silent, as an invalid one would.
    }
    const trigger = isRecord(spec['trigger']) ? Number(spec['trigger']['count'] ?? 1) || 1 : 1;
    const metCount = verdicts.filter((v) => v.met).length;
    for (const v of verdicts) {
      const key = `${project.projectId}|${String(condition['name'])}|${v.key}`;
      const tracked = this.open.get(key);
      if (tracked) {
        if (v.value !== undefined) {
          tracked.lastDataMs = now;
          tracked.incident.observedValue = v.value;
        }
        if (v.value !== undefined && !v.violating) this.close(key, now, 'the condition is no longer met');
      } else if (v.met && metCount >= trigger) {
        this.openIncident(project, policy, condition, key, now, {
          kind: 'threshold',
          resource: v.resource,
          metric: v.metric,
          ...(v.value === undefined ? {} : { observedValue: v.value }),
        });
      }
    }
  }

  /** A request log entry as it is written: log-match conditions. */
  logEntry(project: Project, entry: NewLogEntry, now = Date.now()): void {
    for (const policy of this.policies(project)) {
      const conditions = Array.isArray(policy['conditions']) ? (policy['conditions'] as Json[]) : [];
      for (const condition of conditions) {
        const spec = condition['conditionMatchedLog'];
        if (!isRecord(spec)) continue;
        let labels: Record<string, string> | undefined;
        try {
          labels = matchLog(spec, entry);
        } catch {
          continue; // A filter the simulator cannot parse matches nothing.
        }
        if (labels === undefined) continue;
        const key = `${project.projectId}|${String(condition['name'])}|${JSON.stringify(entry.resource.labels)}`;
        const tracked = this.open.get(key);
        if (tracked) {
          tracked.lastDataMs = now;
          continue;
        }
        if (!this.logRateAllows(project, policy, now)) continue;
        this.openIncident(project, policy, condition, key, now, {
          kind: 'log-match',
          resource: { type: entry.resource.type, labels: { ...entry.resource.labels } },
          metric: { type: '', labels },
        });
      }
    }
  }

  private logRateAllows(project: Project, policy: Json, now: number): boolean {
    const strategy = isRecord(policy['alertStrategy']) ? policy['alertStrategy'] : {};
    const limit = isRecord(strategy['notificationRateLimit']) ? strategy['notificationRateLimit'] : {};
    const periodMs = (durationMs(limit['period']) ?? 0) * this.timeScale;
    const key = `${project.projectId}|${String(policy['name'])}`;
    const openings = (this.logOpenings.get(key) ?? []).filter((t) => now - t < DAY_MS * this.timeScale);
    const last = openings[openings.length - 1];
    if ((last !== undefined && now - last < periodMs) || openings.length >= LOG_MATCH_DAILY_LIMIT) {
      this.logOpenings.set(key, openings);
      return false;
    }
    this.logOpenings.set(key, [...openings, now]);
    return true;
  }

  private openIncident(
    project: Project,
    policy: Json,
    condition: Json,
    key: string,
    now: number,
    facts: Pick<IncidentFacts, 'kind' | 'resource' | 'metric' | 'observedValue'>,
  ): void {
    const incident: SimIncident = {
      ...facts,
      incidentId: newIncidentId(),
      state: 'open',
      project: project.projectId,
      policy: String(policy['name'] ?? ''),
      policyDisplayName: String(policy['displayName'] ?? ''),
      condition: String(condition['name'] ?? ''),
      conditionDisplayName: String(condition['displayName'] ?? ''),
      openedAtMs: now,
      openedAt: new Date(now).toISOString(),
      notifications: [],
    };
    this.open.set(key, { incident, lastDataMs: now });
    this.incidents.push(incident);
    if (this.incidents.length > INCIDENTS_KEPT) {
      const oldest = this.incidents.findIndex((i) => i.state === 'closed');
      this.incidents.splice(oldest < 0 ? 0 : oldest, 1);
    }
    this.emit({ kind: 'opened', incident });
    this.notify(project, policy, condition, incident);
  }

  private close(key: string, now: number, because: string): void {
    const tracked = this.open.get(key);
    if (!tracked) return;
    this.open.delete(key);
    const incident = tracked.incident;
    incident.state = 'closed';
    incident.closedAtMs = now;
    incident.closedAt = new Date(now).toISOString();
    incident.closedBecause = because;
    this.emit({ kind: 'closed', incident });
    if (incident.kind === 'log-match') return; // log-based policies notify on open only
    // The policy as it is now (it may have been edited or deleted since the incident opened).
    const [, policyId] = /\/alertPolicies\/([^/]+)$/.exec(incident.policy) ?? [];
    const found = this.projectOf?.(incident.project);
    const policy = found?.alertPolicies.get(policyId ?? '');
    const condition = (policy?.['conditions'] as Json[] | undefined)?.find(
      (c) => c['name'] === incident.condition,
    );
    if (found && policy && condition) this.notify(found, policy, condition, incident);
  }

  /** How the evaluator finds a project by id (set by the World). */
  projectOf: ((projectId: string) => Project | undefined) | undefined;

  private autoClose(project: Project, now: number): void {
    for (const [key, tracked] of this.open) {
      if (tracked.incident.project !== project.projectId) continue;
      const policyId = /\/alertPolicies\/([^/]+)$/.exec(tracked.incident.policy)?.[1] ?? '';
      const policy = project.alertPolicies.get(policyId);
      const strategy = policy && isRecord(policy['alertStrategy']) ? policy['alertStrategy'] : {};
      const after = durationMs(strategy['autoClose']);
      if (after === undefined || after <= 0) continue;
      const seconds = Math.round(after / 1000);
      if (now - tracked.lastDataMs >= after * this.timeScale)
        this.close(key, now, `autoClose: no data for ${seconds}s`);
    }
  }

  private notify(project: Project, policy: Json, condition: Json, incident: SimIncident): void {
    const channels = Array.isArray(policy['notificationChannels']) ? policy['notificationChannels'] : [];
    for (const name of channels) {
      const id = /\/notificationChannels\/([^/]+)$/.exec(String(name))?.[1] ?? '';
      const channel = project.notificationChannels.get(id);
      if (!channel || !enabled(channel) || !String(channel['type']).startsWith('webhook_')) continue;
      const notification: SimNotification = {
        state: incident.state,
        channel: String(name),
        type: String(channel['type']),
        outcome: 'pending',
        attempts: [],
      };
      incident.notifications.push(notification);
      this.notifier.send(incident.incidentId, {
        channel,
        notification,
        payload: incidentPayload({ ...incident }, project, policy, condition),
      });
    }
  }

  /** Pending retries are dropped, POSTs under way aborted. */
  stop(): void {
    this.notifier.stop();
    this.listeners.clear();
  }
}
