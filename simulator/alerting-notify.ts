/**
 * Webhook notifications of simulated Cloud Monitoring: the schema-1.2 JSON and its delivery.
 *
 * The payload is the documented webhook shape (https://cloud.google.com/monitoring/support/notification-options#webhooks,
 * "Schema structure") as real deliveries show it (the receiver's fixtures in test/fixtures/alerts,
 * taken from public captures): `{version: "1.2", incident: {incident_id, state: "open"|"closed",
 * started_at, ended_at, summary, resource, metric, policy_name, policy_user_labels, documentation,
 * condition, ...}}`, snake_case at the top of the incident, the condition as the API shows it.
 *
 * Delivery:
 * - `webhook_tokenauth`: a POST to the channel's `url` as it is (the token travels in its query).
 * - `webhook_basicauth`: "Cloud Monitoring requires your server to return a 401 response with the
 *   proper WWW-Authenticate header" (notification-options, "Basic authentication"): the first POST
 *   goes without credentials, and on a 401 that asks for Basic the same POST follows with them.
 * - Retries: Google documents no retry schedule for webhooks in the pages I could find (searched the
 *   notification-options, concepts-indepth and incidents pages): so a failed delivery (no answer within
 *   {@link DELIVERY_TIMEOUT_MS}, a network error, 408, 429 or 5xx) is tried again after
 *   `retryDelaysMs` of simulated time (30 s, 1 m, 2 m, 4 m: five attempts in all; unverified), and a
 *   4xx other than those is final. The notifications of one incident go out in order (open, closed).
 */
import type { Project } from './model';

type Json = Record<string, unknown>;

/** Real milliseconds a receiver has to answer one POST (real I/O, so not on the World's clock). */
export const DELIVERY_TIMEOUT_MS = 10_000;

export interface DeliveryAttempt {
  at: string;
  status?: number;
  error?: string;
}

/** One notification of an incident to one channel, as the control API shows it. */
export interface SimNotification {
  state: 'open' | 'closed';
  channel: string;
  type: string;
  outcome: 'pending' | 'delivered' | 'failed';
  attempts: DeliveryAttempt[];
  deliveredAt?: string;
  /** The receiver's JSON answer to the delivered POST. */
  answer?: unknown;
}

/** What an incident's notification says (the evaluator's incident, seen by the payload). */
export interface IncidentFacts {
  incidentId: string;
  state: 'open' | 'closed';
  kind: 'threshold' | 'log-match';
  resource: { type: string; labels: Record<string, string> };
  metric: { type: string; labels: Record<string, string> };
  openedAtMs: number;
  closedAtMs?: number;
  observedValue?: number;
}

const RESOURCE_DISPLAY: Record<string, string> = {
  https_lb_rule: 'Google Cloud HTTP/S Load Balancing Rule',
  // The regional kinds' display names are unverified.
  internal_http_lb_rule: 'Internal HTTP/S Load Balancing Rule',
  http_external_regional_lb_rule: 'Regional External HTTP/S Load Balancing Rule',
  http_load_balancer: 'Cloud HTTP Load Balancer',
};

const METRIC_DISPLAY: Record<string, string> = {
  'loadbalancing.googleapis.com/https/request_count': 'Request count',
  'loadbalancing.googleapis.com/https/internal/request_count': 'Request count',
  'loadbalancing.googleapis.com/https/external/regional/request_count': 'Request count',
};

const labelText = (labels: Record<string, string>) =>
  `{${Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ')}}`;

function documentation(policy: Json): Json | undefined {
  const doc = policy['documentation'];
  if (doc === null || typeof doc !== 'object') return undefined;
  const d = doc as Json;
  const links = Array.isArray(d['links'])
    ? (d['links'] as Json[]).map((l) => ({ display_name: l['displayName'], url: l['url'] }))
    : undefined;
  return {
    content: d['content'] ?? '',
    mime_type: d['mimeType'] ?? 'text/markdown',
    ...(d['subject'] === undefined ? {} : { subject: d['subject'] }),
    ...(links ? { links } : {}),
  };
}

function summary(facts: IncidentFacts, project: Project, condition: Json): string {
  const resourceText = `${project.projectId} ${facts.resource.type} labels ${labelText(facts.resource.labels)}`;
  if (facts.kind === 'log-match') {
    const display = RESOURCE_DISPLAY[facts.resource.type] ?? facts.resource.type;
    return `Log match condition fired for ${display} with ${labelText(facts.resource.labels)}`;
  }
  const threshold = condition['conditionThreshold'] as Json | undefined;
  const metricName = METRIC_DISPLAY[facts.metric.type] ?? facts.metric.type;
  const ratio = threshold?.['denominatorFilter'] ? ' ratio' : '';
  const value = (facts.observedValue ?? 0).toFixed(3);
  if (facts.state === 'closed')
    return `${metricName}${ratio} for ${resourceText} returned to normal with a value of ${value}.`;
  const comparison = String(threshold?.['comparison'] ?? 'COMPARISON_GT');
  const direction = /_(LT|LE)$/.test(comparison) ? 'below' : 'above';
  const limit = Number(threshold?.['thresholdValue'] ?? 0).toFixed(3);
  return `${metricName}${ratio} for ${resourceText} is ${direction} the threshold of ${limit} with a value of ${value}.`;
}

/** The schema-1.2 webhook body of an incident of `policy`'s `condition`. */
export function incidentPayload(facts: IncidentFacts, project: Project, policy: Json, condition: Json): Json {
  const threshold = condition['conditionThreshold'] as Json | undefined;
  const isLog = facts.kind === 'log-match';
  const display = RESOURCE_DISPLAY[facts.resource.type] ?? facts.resource.type;
  return {
    incident: {
      incident_id: facts.incidentId,
      scoping_project_id: project.projectId,
      scoping_project_number: Number(project.projectNumber),
      url: `https://console.cloud.google.com/monitoring/alerting/incidents/${facts.incidentId}?project=${project.projectId}`,
      started_at: Math.floor(facts.openedAtMs / 1000),
      ended_at: facts.closedAtMs === undefined ? null : Math.floor(facts.closedAtMs / 1000),
      state: facts.state,
      summary: summary(facts, project, condition),
      apigee_url: 'https://apigee.google.com',
      observed_value: isLog ? '' : (facts.observedValue ?? 0).toFixed(3),
      resource: facts.resource,
      resource_type_display_name: display,
      resource_id: '',
      resource_display_name: isLog ? '' : `${project.projectId} ${facts.resource.type}`,
      resource_name: `${project.projectId} ${display} labels ${labelText(facts.resource.labels)}`,
      metric: {
        type: facts.metric.type,
        displayName: METRIC_DISPLAY[facts.metric.type] ?? '',
        labels: facts.metric.labels,
      },
      metadata: { system_labels: {}, user_labels: {} },
      policy_name: policy['displayName'] ?? '',
      policy_user_labels: policy['userLabels'] ?? {},
      ...(documentation(policy) ? { documentation: documentation(policy) } : {}),
      condition,
      condition_name: condition['displayName'] ?? '',
      threshold_value: threshold ? String(threshold['thresholdValue'] ?? '') : '',
    },
    version: '1.2',
  };
}

/** What a failed POST means: try again later, or give up. */
function retryable(status: number | undefined): boolean {
  return status === undefined || status === 408 || status === 429 || status >= 500;
}

export interface DeliveryTarget {
  channel: Json;
  notification: SimNotification;
  payload: Json;
}

/** Sends notifications with retries; `scaled` turns simulated delays into real ones. */
export class Notifier {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly aborts = new Set<AbortController>();
  private stopped = false;

  constructor(
    private readonly opts: {
      retryDelaysMs: number[];
      scaled: (simMs: number) => number;
      /** Told after each delivery ends (delivered or given up). */
      done: (incidentId: string, notification: SimNotification) => void;
    },
  ) {}

  /** Queues the notification behind the incident's earlier ones. */
  send(incidentId: string, target: DeliveryTarget): void {
    const previous = this.chains.get(incidentId) ?? Promise.resolve();
    const next = previous
      .then(() => this.deliver(target))
      .then(() => this.opts.done(incidentId, target.notification));
    this.chains.set(incidentId, next);
  }

  private async deliver(target: DeliveryTarget): Promise<void> {
    const delays = [0, ...this.opts.retryDelaysMs];
    for (const [i, delay] of delays.entries()) {
      if (this.stopped) break;
      if (delay > 0) await this.sleep(this.opts.scaled(delay));
      if (this.stopped) break;
      const attempt = await this.post(target);
      target.notification.attempts.push(attempt);
      if (attempt.status !== undefined && attempt.status >= 200 && attempt.status < 300) {
        target.notification.outcome = 'delivered';
        target.notification.deliveredAt = attempt.at;
        return;
      }
      if (!retryable(attempt.status) || i === delays.length - 1) break;
    }
    target.notification.outcome = 'failed';
  }

  private async post(target: DeliveryTarget): Promise<DeliveryAttempt> {
    const labels = (target.channel['labels'] ?? {}) as Record<string, string>;
    const body = JSON.stringify(target.payload);
    const at = new Date().toISOString();
    const once = async (auth?: string) => {
      const abort = new AbortController();
      this.aborts.add(abort);
      const timer = setTimeout(() => abort.abort(), DELIVERY_TIMEOUT_MS);
      try {
        const res = await fetch(labels['url'] ?? '', {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'Google-Alerts',
            ...(auth ? { authorization: auth } : {}),
          },
          body,
          signal: abort.signal,
        });
        const answer: unknown = await res.json().catch(() => undefined);
        return { res, answer };
      } finally {
        clearTimeout(timer);
        this.aborts.delete(abort);
      }
    };
    try {
      let { res, answer } = await once();
      if (
        res.status === 401 &&
        target.channel['type'] === 'webhook_basicauth' &&
        /basic/i.test(res.headers.get('www-authenticate') ?? '')
      ) {
        const basic = Buffer.from(`${labels['username'] ?? ''}:${labels['password'] ?? ''}`).toString(
          'base64',
        );
        ({ res, answer } = await once(`Basic ${basic}`));
      }
      if (res.ok) target.notification.answer = answer;
      return { at, status: res.status };
    } catch (err) {
      return { at, error: err instanceof Error ? err.message : String(err) };
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      timer.unref();
      this.timers.add(timer);
    });
  }

  /** Cancels pending retries and aborts POSTs under way. */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const a of this.aborts) a.abort();
  }
}
