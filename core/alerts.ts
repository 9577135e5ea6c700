/**
 * Cloud Monitoring alert notifications as lbmedic receives them, parsed with zod. Pure: no Node APIs.
 *
 * Three shapes arrive:
 *  - **Webhook, schema version 1.2** (`webhook_tokenauth` / `webhook_basicauth` channels): `{version:
 *    "1.2", incident: {...}}`, documented at
 *    https://cloud.google.com/monitoring/support/notification-options#webhooks (section "Schema
 *    structure"). Real deliveries seen in public repositories match it, e.g.
 *    cloudforet-io/plugin-google-monitoring-mon-webhook `docs/en/SAMPLE_DATA.md` (open, `ended_at:
 *    null`) and Agilicus/stackdriver-google-chat `README.md` (the same incident open, then closed with
 *    `ended_at` set). Open incidents carry `"state": "open"`, closed ones `"closed"`.
 *  - **The console's "send test notification"** payload differs from the documented sample, as captured
 *    in https://github.com/cloudforet-io/tsc/issues/8 (and the same body in other public notes):
 *    `"version": "test"` instead of `"1.2"`; `"state": "OPEN"` in capitals; `incident_id` `"12345"`;
 *    `started_at`/`ended_at` both `0`; a placeholder `resource` (`example_resource`, labels
 *    `{example: label}`); and `documentation` as a plain string (`"Test documentation"`) where real
 *    incidents send an object `{content, mime_type, ...}`. So: states compare case-insensitively,
 *    `documentation` may be a string, and `version: "test"` marks the test (never a remediation).
 *  - **Pub/Sub push** (a `pubsub` channel whose subscription pushes to lbmedic): the envelope
 *    `{message: {data, attributes, messageId, publishTime}, subscription}` with `data` the base64 of the
 *    same JSON as the webhook. Subscriptions created with "no wrapper" push the JSON itself, which is
 *    accepted too.
 *
 * Fields are optional unless lbmedic needs them (`incident_id`, `state`, `version`): Google documents
 * that fields may be missing or empty depending on the policy, and unknown fields are kept.
 */
import { z } from 'zod';
import type { Incident } from './model';

/** Strict UTF-8 (a malformed byte throws). Stateless between calls, so one serves every request. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Label maps: values are strings in practice; anything else is kept and ignored by readers. */
const Labels = z.record(z.string(), z.unknown()).nullish();
const Text = z.string().nullish();
/** Unix seconds; `null` while an incident is open, `0` in the test notification. */
const UnixSeconds = z.number().nonnegative().nullish();

export const IncidentState = z
  .string()
  .transform((s) => s.toLowerCase())
  .pipe(z.enum(['open', 'closed'], { message: 'must be "open" or "closed"' }));

export const MonitoringIncident = z.looseObject({
  incident_id: z.string().min(1, { message: 'must be a non-empty string' }),
  state: IncidentState,
  scoping_project_id: Text,
  scoping_project_number: z.union([z.number(), z.string()]).nullish(),
  url: Text,
  started_at: UnixSeconds,
  ended_at: UnixSeconds,
  summary: Text,
  apigee_url: Text,
  observed_value: z.union([z.string(), z.number()]).nullish(),
  resource: z.looseObject({ type: Text, labels: Labels }).nullish(),
  resource_type_display_name: Text,
  resource_id: Text,
  resource_display_name: Text,
  resource_name: Text,
  metric: z.looseObject({ type: Text, displayName: Text, labels: Labels }).nullish(),
  metadata: z.looseObject({ system_labels: Labels, user_labels: Labels }).nullish(),
  policy_name: Text,
  policy_user_labels: Labels,
  documentation: z
    .union([
      z.string(),
      z.looseObject({
        content: Text,
        mime_type: Text,
        subject: Text,
        links: z.array(z.looseObject({ display_name: Text, url: Text })).nullish(),
      }),
    ])
    .nullish(),
  condition: z.looseObject({ name: Text, displayName: Text }).nullish(),
  condition_name: Text,
  threshold_value: z.union([z.string(), z.number()]).nullish(),
});
export type MonitoringIncident = z.infer<typeof MonitoringIncident>;

export const WebhookNotification = z.looseObject({
  version: z.string().min(1, { message: 'must be a non-empty string such as "1.2"' }),
  incident: MonitoringIncident,
});
export type WebhookNotification = z.infer<typeof WebhookNotification>;

export const PubSubPushEnvelope = z.looseObject({
  message: z.looseObject({
    data: z.string().min(1, { message: 'must carry the base64 of the notification JSON' }),
    attributes: z.record(z.string(), z.string()).nullish(),
    messageId: Text,
    message_id: Text,
    publishTime: Text,
    publish_time: Text,
  }),
  subscription: Text,
});
export type PubSubPushEnvelope = z.infer<typeof PubSubPushEnvelope>;

/** The version string of the console's "send test notification" payload. */
export const TEST_NOTIFICATION_VERSION = 'test';

export type ParsedNotification =
  | { ok: true; notification: WebhookNotification; test: boolean; messageId?: string }
  | { ok: false; error: string };

/** `incident.state: must be "open" or "closed"; version: Required` — every problem, with its path. */
export function describeIssues(error: z.ZodError, prefix = ''): string {
  return error.issues
    .map((issue) => {
      const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

function fromJson(json: unknown, prefix = ''): ParsedNotification {
  const parsed = WebhookNotification.safeParse(json);
  if (!parsed.success) return { ok: false, error: describeIssues(parsed.error, prefix) };
  return {
    ok: true,
    notification: parsed.data,
    test: parsed.data.version === TEST_NOTIFICATION_VERSION,
  };
}

/** A webhook body (already JSON-decoded). */
export function parseWebhookBody(json: unknown): ParsedNotification {
  return fromJson(json);
}

/** Standard or URL-safe base64 to UTF-8 text; undefined when it is not base64. */
export function decodeBase64(data: string): string | undefined {
  const normal = data.replace(/-/g, '+').replace(/_/g, '/').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(normal) || normal.replace(/=+$/, '').length % 4 === 1) return undefined;
  const padded = normal.padEnd(Math.ceil(normal.length / 4) * 4, '=');
  try {
    // atob throws on padding in the wrong place ("=", "a=b="), which the pattern above lets through.
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    return UTF8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * A Pub/Sub push body: the wrapped envelope, whose `message.data` holds the notification JSON in
 * base64, or (subscriptions with "no wrapper") the notification JSON itself.
 */
export function parsePubSubBody(json: unknown): ParsedNotification {
  if (json !== null && typeof json === 'object' && 'incident' in json && !('message' in json)) {
    return fromJson(json);
  }
  const envelope = PubSubPushEnvelope.safeParse(json);
  if (!envelope.success) return { ok: false, error: describeIssues(envelope.error) };
  const message = envelope.data.message;
  const text = decodeBase64(message.data);
  if (text === undefined) return { ok: false, error: 'message.data: is not base64 of UTF-8 text' };
  let inner: unknown;
  try {
    inner = JSON.parse(text);
  } catch (err) {
    return {
      ok: false,
      error: `message.data: does not decode to JSON (${err instanceof Error ? err.message : String(err)})`,
    };
  }
  const parsed = fromJson(inner, 'message.data');
  const messageId = message.messageId ?? message.message_id ?? undefined;
  return parsed.ok && messageId ? { ...parsed, messageId } : parsed;
}

/** A string label value, or undefined (missing, empty or not a string). */
export function labelValue(
  labels: Record<string, unknown> | null | undefined,
  key: string,
): string | undefined {
  const v = labels?.[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The incident as the remediation workflow records it. `source` is `webhook` or `pubsub`. */
export function toIncident(incident: MonitoringIncident, source: string, receivedAt: string): Incident {
  const out: Incident = { incidentId: incident.incident_id, state: incident.state, source, receivedAt };
  const policyName = incident.policy_name ?? undefined;
  const conditionName = incident.condition_name ?? incident.condition?.displayName ?? undefined;
  if (policyName) out.policyName = policyName;
  if (conditionName) out.conditionName = conditionName;
  if (incident.summary) out.summary = incident.summary;
  if (incident.url) out.url = incident.url;
  if (incident.started_at) out.startedAt = incident.started_at;
  if (incident.ended_at) out.endedAt = incident.ended_at;
  const labels = Object.fromEntries(
    Object.entries(incident.policy_user_labels ?? {}).filter(
      (e): e is [string, string] => typeof e[1] === 'string',
    ),
  );
  if (Object.keys(labels).length > 0) out.labels = labels;
  return out;
}
