/**
 * What `lbmedic setup alerts` wants to exist in Cloud Monitoring, as data (pure; setup/alerts.ts makes
 * a project match it): the webhook channel a URL asks for, and the two alert policies that notify it,
 * the load balancers' 5xx ratio and their `failed_to_pick_backend` log entries (gcp-facts §11).
 */
import type { protos } from '@google-cloud/monitoring';

export type AlertPolicy = protos.google.monitoring.v3.IAlertPolicy;
export type NotificationChannel = protos.google.monitoring.v3.INotificationChannel;
type Condition = protos.google.monitoring.v3.AlertPolicy.ICondition;

export const MANAGED_BY = { key: 'managed_by', value: 'lbmedic' } as const;
export const ROLE_LABEL = 'lbmedic_role';
export const SPEC_LABEL = 'lbmedic_spec';
export const ROLES = {
  channel: 'webhook',
  ratio: 'lb-5xx-ratio',
  failedToPick: 'failed-to-pick-backend',
} as const;

/** The 5xx ratio that opens an incident, and for how long it must hold. */
export const RATIO_THRESHOLD = 0.05;
const RATIO_DURATION_SEC = 120;
/** Incidents with no new data close themselves after this long. */
const AUTO_CLOSE_SEC = 1800;
/** At most one notification per 5 minutes for the log-match policy (required for log-match). */
const LOG_MATCH_RATE_LIMIT_SEC = 300;
/** Where the runbook is when no `--runbook-url` is given: the chapter on alert intake. */
export const DEFAULT_RUNBOOK = 'docs/intake.md in the lbmedic repository';

export interface AlertSetupOptions {
  project: string;
  /** The receiver's public URL: `https://host/alerts?token=T`, or `https://user:password@host/alerts`. */
  webhookUrl: string;
  runbookUrl?: string;
}

export interface DesiredAlertResources {
  channel: NotificationChannel;
  /** Policies without `notificationChannels`; {@link withChannel} adds the channel once it is known. */
  policies: AlertPolicy[];
  warnings: string[];
}

const labels = (role: string) => ({ [MANAGED_BY.key]: MANAGED_BY.value, [ROLE_LABEL]: role });

/** The channel a webhook URL asks for: basic auth when the URL carries credentials, else token auth. */
export function channelSpec(webhookUrl: string): { channel: NotificationChannel; warnings: string[] } {
  let url: URL;
  try {
    url = new URL(webhookUrl);
  } catch {
    throw new Error(`--webhook-url is not a URL: ${mask(webhookUrl)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error('--webhook-url must be an http(s) URL');
  }
  const warnings: string[] = [];
  if (url.protocol === 'http:')
    warnings.push('the webhook URL is plain http: credentials travel in clear text');
  const base = {
    displayName: 'lbmedic alert receiver',
    description: 'Cloud Monitoring incidents for lbmedic, which heals load balancers answering 502.',
    userLabels: labels(ROLES.channel),
    enabled: { value: true },
  };
  if (url.username || url.password) {
    const username = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    url.username = '';
    url.password = '';
    return {
      channel: { ...base, type: 'webhook_basicauth', labels: { url: url.toString(), username, password } },
      warnings,
    };
  }
  if (!url.searchParams.get('token')) {
    warnings.push('the webhook URL carries no ?token= and no user:password: the receiver will answer 401');
  }
  return { channel: { ...base, type: 'webhook_tokenauth', labels: { url: url.toString() } }, warnings };
}

function documentation(what: string, runbookUrl: string | undefined): AlertPolicy['documentation'] {
  const runbook = runbookUrl ?? DEFAULT_RUNBOOK;
  return {
    mimeType: 'text/markdown',
    subject: `lbmedic: ${what}`,
    content: [
      `**${what}.** lbmedic received this incident and diagnoses the backend service it names`,
      '(resource label `backend_target_name` or `backend_service_name`; every service behind the URL map',
      'when only `url_map_name` is known), in one Temporal workflow per backend service with the id',
      '`lbmedic/<project>/<backend service>`. Follow it in the Temporal UI; approvals and rollbacks are there.',
      '',
      'A 502 from the load balancer means no healthy backend could serve (`failed_to_pick_backend`:',
      'health check, firewall for 35.191.0.0/16 and 130.211.0.0/22, named port, NEG) or the backend failed',
      '(`backend_timeout`, `backend_connection_closed_before_data_sent_to_client`).',
      '',
      `Runbook: ${runbookUrl ? `[lbmedic alert intake](${runbookUrl})` : runbook}`,
    ].join('\n'),
    ...(runbookUrl ? { links: [{ displayName: 'lbmedic runbook', url: runbookUrl }] } : {}),
  };
}

/**
 * Group by what the receiver reads, so each incident names one backend target (gcp-facts §10). An
 * aggregated series keeps only the labels it is grouped by, so `region` is among them: it is where a
 * regional load balancer's backend service lives (`global` for a global one), and without it the
 * incident could not say which regional backend service it is about.
 */
const GROUP_BY = [
  'resource.labels.project_id',
  'resource.labels.region',
  'resource.labels.url_map_name',
  'resource.labels.backend_target_name',
  'resource.labels.backend_target_type',
];

function ratioCondition(resourceType: string, metricType: string, lb: string): Condition {
  const total = `resource.type = "${resourceType}" AND metric.type = "${metricType}"`;
  const aggregation = {
    alignmentPeriod: { seconds: 60 },
    perSeriesAligner: 'ALIGN_RATE' as const,
    crossSeriesReducer: 'REDUCE_SUM' as const,
    groupByFields: GROUP_BY,
  };
  return {
    displayName: `5xx ratio above ${RATIO_THRESHOLD * 100}% (${lb})`,
    conditionThreshold: {
      filter: `${total} AND metric.labels.response_code_class = 500`,
      aggregations: [aggregation],
      denominatorFilter: total,
      denominatorAggregations: [aggregation],
      comparison: 'COMPARISON_GT',
      thresholdValue: RATIO_THRESHOLD,
      duration: { seconds: RATIO_DURATION_SEC },
      trigger: { count: 1 },
    },
  };
}

/** Everything `setup alerts` wants to exist, without channel names (pure; `--dry-run` prints it). */
export function desiredAlertResources(opts: AlertSetupOptions): DesiredAlertResources {
  const { channel, warnings } = channelSpec(opts.webhookUrl);
  const ratio: AlertPolicy = {
    displayName: 'lbmedic: load balancer 5xx ratio',
    combiner: 'OR',
    enabled: { value: true },
    severity: 'ERROR',
    conditions: [
      ratioCondition('https_lb_rule', 'loadbalancing.googleapis.com/https/request_count', 'external ALB'),
      ratioCondition(
        'http_external_regional_lb_rule',
        'loadbalancing.googleapis.com/https/external/regional/request_count',
        'regional external ALB',
      ),
      ratioCondition(
        'internal_http_lb_rule',
        'loadbalancing.googleapis.com/https/internal/request_count',
        'internal ALB',
      ),
    ],
    alertStrategy: { autoClose: { seconds: AUTO_CLOSE_SEC } },
    documentation: documentation('the load balancer answers 5xx', opts.runbookUrl),
    userLabels: labels(ROLES.ratio),
  };
  const failedToPick: AlertPolicy = {
    displayName: 'lbmedic: failed_to_pick_backend',
    combiner: 'OR',
    enabled: { value: true },
    severity: 'ERROR',
    conditions: [
      {
        displayName: 'failed_to_pick_backend in the load balancer request logs',
        conditionMatchedLog: {
          // The global load balancers log on http_load_balancer; the regional ones on their own
          // resource types, which name the backend service backend_target_name and carry the region
          // (simulator/load-balancers.ts, docs/simulator.md "Kinds of Application Load Balancer").
          filter:
            '(resource.type="http_load_balancer" OR resource.type="http_external_regional_lb_rule" OR ' +
            'resource.type="internal_http_lb_rule") AND jsonPayload.statusDetails="failed_to_pick_backend"',
          // Extracted under the resource label names, so the receiver reads them either way.
          labelExtractors: {
            backend_service_name: 'EXTRACT(resource.labels.backend_service_name)',
            backend_target_name: 'EXTRACT(resource.labels.backend_target_name)',
            region: 'EXTRACT(resource.labels.region)',
            url_map_name: 'EXTRACT(resource.labels.url_map_name)',
            project_id: 'EXTRACT(resource.labels.project_id)',
          },
        },
      },
    ],
    alertStrategy: {
      notificationRateLimit: { period: { seconds: LOG_MATCH_RATE_LIMIT_SEC } },
      autoClose: { seconds: AUTO_CLOSE_SEC },
    },
    documentation: documentation('the load balancer found no healthy backend', opts.runbookUrl),
    userLabels: labels(ROLES.failedToPick),
  };
  return { channel, policies: [ratio, failedToPick], warnings };
}

/** A URL or channel with its secrets (token, password) replaced, for printing. */
export function mask(text: string): string {
  return text.replace(/([?&]token=)[^&#]*/g, '$1****').replace(/(\/\/[^/:@]*:)[^@/]*@/, '$1****@');
}
