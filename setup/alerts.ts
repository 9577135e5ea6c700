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
 * Running it twice creates nothing new. The desired resources themselves are setup/alert-policies.ts.
 */
import { createHash } from 'node:crypto';
import type { GcpClients } from '../activities/gcp-clients';
import {
  desiredAlertResources,
  MANAGED_BY,
  mask,
  ROLE_LABEL,
  ROLES,
  SPEC_LABEL,
  type AlertPolicy,
  type AlertSetupOptions,
  type DesiredAlertResources,
  type NotificationChannel,
} from './alert-policies';

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
