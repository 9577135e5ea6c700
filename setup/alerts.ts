/**
 * `lbmedic setup alerts`: the Cloud Monitoring side of alert intake, created idempotently.
 *
 * Desired state: one webhook notification channel pointing at the receiver and two alert policies
 * that notify it — the load balancers' 5xx ratio and `failed_to_pick_backend` log entries
 * (gcp-facts §11). lbmedic finds its own resources by user labels (`managed_by=lbmedic` plus
 * `lbmedic_role`), never by display name, compares, and acts only on a difference:
 *  - channel: created when missing; updated when its URL, user name or display name differ (the
 *    basic-auth password is write-only, so a new password alone is not noticed: change the URL or
 *    delete the channel); replaced when the type changes (token ↔ basic auth);
 *  - policies: created when missing; replaced when what they do differs from the desired spec (a hand
 *    edit in the console included, see {@link policyEssentials}) or when the desired spec changed (the
 *    hash of the spec lbmedic last wrote is in the `lbmedic_spec` label).
 * Running it twice creates nothing new.
 */
import { createHash } from 'node:crypto';
import type { protos } from '@google-cloud/monitoring';
import type { GcpClients } from '../activities/gcp-clients';

type AlertPolicy = protos.google.monitoring.v3.IAlertPolicy;
type NotificationChannel = protos.google.monitoring.v3.INotificationChannel;
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

/** Deterministic JSON (sorted keys) for hashing. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The policy pointed at `channelName`, labelled with the hash of exactly that spec. */
export function withChannel(policy: AlertPolicy, channelName: string): AlertPolicy {
  const spec: AlertPolicy = { ...policy, notificationChannels: [channelName] };
  const hash = createHash('sha256').update(canonical(spec)).digest('hex').slice(0, 16);
  return { ...spec, userLabels: { ...policy.userLabels, [SPEC_LABEL]: hash } };
}

/** A URL or channel with its secrets (token, password) replaced, for printing. */
export function mask(text: string): string {
  return text.replace(/([?&]token=)[^&#]*/g, '$1****').replace(/(\/\/[^/:@]*:)[^@/]*@/, '$1****@');
}

function maskedChannel(channel: NotificationChannel): NotificationChannel {
  const l = channel.labels ?? {};
  return {
    ...channel,
    labels: {
      ...l,
      ...(l.url ? { url: mask(l.url) } : {}),
      ...(l.password ? { password: '****' } : {}),
    },
  };
}

/** What `--dry-run` prints: the resources, secrets masked, the channel name a placeholder. */
export function renderDryRun(project: string, desired: DesiredAlertResources): string {
  const placeholder = `projects/${project}/notificationChannels/<the lbmedic channel>`;
  return JSON.stringify(
    {
      project,
      notificationChannel: maskedChannel(desired.channel),
      alertPolicies: desired.policies.map((p) => withChannel(p, placeholder)),
      warnings: desired.warnings,
    },
    null,
    2,
  );
}

export interface SetupAction {
  kind: 'notificationChannel' | 'alertPolicy';
  action: 'created' | 'updated' | 'unchanged' | 'deleted';
  name: string;
  displayName: string;
}

const isOurs = (labels: Record<string, string> | null | undefined, role: string) =>
  labels?.[MANAGED_BY.key] === MANAGED_BY.value && labels?.[ROLE_LABEL] === role;

const byName = <T extends { name?: string | null }>(items: T[]) =>
  [...items].sort((a, b) => (a.name ?? '').localeCompare(b.name ?? ''));

type SetupClients = Pick<GcpClients, 'notificationChannels' | 'alertPolicies'>;

/** The channel differs in something it shows (the password is write-only and cannot be compared). */
function channelDiffers(have: NotificationChannel, want: NotificationChannel): boolean {
  return (
    have.displayName !== want.displayName ||
    have.labels?.url !== want.labels?.url ||
    (have.labels?.username ?? undefined) !== (want.labels?.username ?? undefined) ||
    have.enabled?.value === false
  );
}

const seconds = (d: { seconds?: unknown } | null | undefined) => Number(String(d?.seconds ?? 0));
/** Filters compared without the spacing around operators, which the API may normalise. */
const filterText = (f: string | null | undefined) =>
  (f ?? '')
    .replace(/\s*(=|!=|<=|>=|<|>|:)\s*/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();

/**
 * What a policy does, in a form that compares equal between the spec lbmedic sends and what the API
 * returns (durations as seconds, filters without operator spacing, no output-only fields). A hand edit
 * of any of it in the console is drift that the next run puts back.
 */
export function policyEssentials(p: AlertPolicy): string {
  return canonical({
    displayName: p.displayName,
    enabled: p.enabled?.value ?? true,
    combiner: p.combiner,
    severity: p.severity,
    notificationChannels: [...(p.notificationChannels ?? [])].sort(),
    documentation: {
      content: p.documentation?.content,
      subject: p.documentation?.subject,
      links: (p.documentation?.links ?? []).map((l) => [l.displayName, l.url]),
    },
    rateLimitSec: seconds(p.alertStrategy?.notificationRateLimit?.period),
    autoCloseSec: seconds(p.alertStrategy?.autoClose),
    conditions: (p.conditions ?? []).map((c) => ({
      displayName: c.displayName,
      threshold: c.conditionThreshold && {
        filter: filterText(c.conditionThreshold.filter),
        denominatorFilter: filterText(c.conditionThreshold.denominatorFilter),
        comparison: c.conditionThreshold.comparison,
        thresholdValue: c.conditionThreshold.thresholdValue,
        durationSec: seconds(c.conditionThreshold.duration),
        aggregations: [
          ...(c.conditionThreshold.aggregations ?? []),
          ...(c.conditionThreshold.denominatorAggregations ?? []),
        ].map((a) => [seconds(a.alignmentPeriod), a.perSeriesAligner, a.crossSeriesReducer, a.groupByFields]),
      },
      matchedLog: c.conditionMatchedLog && {
        filter: filterText(c.conditionMatchedLog.filter),
        labelExtractors: c.conditionMatchedLog.labelExtractors,
      },
    })),
  });
}

/** Makes the project's lbmedic channel and policies match the desired ones; returns what it did. */
export async function setupAlerts(clients: SetupClients, opts: AlertSetupOptions): Promise<SetupAction[]> {
  const desired = desiredAlertResources(opts);
  const parent = `projects/${opts.project}`;
  const actions: SetupAction[] = [];
  const displayName = (x: { displayName?: string | null }) => x.displayName ?? '';

  const [channels] = await clients.notificationChannels.listNotificationChannels({ name: parent });
  const own = byName(channels.filter((c) => isOurs(c.userLabels, ROLES.channel)));
  const reusable = own.find((c) => c.type === desired.channel.type);
  let channelName: string;
  if (!reusable) {
    const [created] = await clients.notificationChannels.createNotificationChannel({
      name: parent,
      notificationChannel: desired.channel,
    });
    channelName = created.name ?? '';
    actions.push({
      kind: 'notificationChannel',
      action: 'created',
      name: channelName,
      displayName: displayName(created),
    });
  } else {
    channelName = reusable.name ?? '';
    const differs = channelDiffers(reusable, desired.channel);
    if (differs) {
      await clients.notificationChannels.updateNotificationChannel({
        notificationChannel: { ...desired.channel, name: channelName },
      });
    }
    actions.push({
      kind: 'notificationChannel',
      action: differs ? 'updated' : 'unchanged',
      name: channelName,
      displayName: displayName(desired.channel),
    });
  }

  const [policies] = await clients.alertPolicies.listAlertPolicies({ name: parent });
  for (const policy of desired.policies) {
    const want = withChannel(policy, channelName);
    const role = policy.userLabels?.[ROLE_LABEL] ?? '';
    const have = byName(policies.filter((p) => isOurs(p.userLabels, role)))[0];
    if (!have) {
      const [created] = await clients.alertPolicies.createAlertPolicy({ name: parent, alertPolicy: want });
      actions.push({
        kind: 'alertPolicy',
        action: 'created',
        name: created.name ?? '',
        displayName: displayName(want),
      });
    } else if (
      have.userLabels?.[SPEC_LABEL] !== want.userLabels?.[SPEC_LABEL] ||
      policyEssentials(have) !== policyEssentials(want)
    ) {
      await clients.alertPolicies.updateAlertPolicy({ alertPolicy: { ...want, name: have.name ?? '' } });
      actions.push({
        kind: 'alertPolicy',
        action: 'updated',
        name: have.name ?? '',
        displayName: displayName(want),
      });
    } else {
      actions.push({
        kind: 'alertPolicy',
        action: 'unchanged',
        name: have.name ?? '',
        displayName: displayName(want),
      });
    }
  }

  // A channel of the other type (token ↔ basic auth) was replaced: nothing points at it any more.
  for (const old of own.filter((c) => c !== reusable && c.type !== desired.channel.type)) {
    await clients.notificationChannels.deleteNotificationChannel({ name: old.name ?? '', force: true });
    actions.push({
      kind: 'notificationChannel',
      action: 'deleted',
      name: old.name ?? '',
      displayName: displayName(old),
    });
  }
  return actions;
}
