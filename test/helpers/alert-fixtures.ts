/** Real-shaped Cloud Monitoring notifications (test/fixtures/alerts) and the envelopes they travel in. */
import { readFileSync } from 'node:fs';

export type AlertFixture =
  | 'lb-5xx-open'
  | 'lb-5xx-closed'
  | 'url-map-only-open'
  | 'failed-to-pick-backend-open'
  | 'test-notification'
  | 'vm-cpu-open'
  | 'uptime-labelled-open';

/**
 * A copy of a fixture, safe to modify. The incident is moved in time to have started a minute ago
 * (its end too, by as much), so the receiver does not refuse it as stale; `{ asRecorded: true }`
 * keeps the times Cloud Monitoring sent.
 */
export function alertFixture(
  name: AlertFixture,
  opts: { asRecorded?: boolean } = {},
): Record<string, unknown> & { incident: Record<string, unknown> } {
  const payload = JSON.parse(
    readFileSync(new URL(`../fixtures/alerts/${name}.json`, import.meta.url), 'utf8'),
  ) as Record<string, unknown> & { incident: Record<string, unknown> };
  const { incident } = payload;
  if (!opts.asRecorded && typeof incident.started_at === 'number' && incident.started_at > 0) {
    const shift = Math.floor(Date.now() / 1000) - 60 - incident.started_at;
    incident.started_at += shift;
    if (typeof incident.ended_at === 'number' && incident.ended_at > 0) incident.ended_at += shift;
  }
  return payload;
}

/** The Pub/Sub push envelope (wrapped delivery) carrying `payload` as its message data. */
export function pubsubEnvelope(payload: unknown, messageId = '9876543210123456') {
  return {
    message: {
      data: Buffer.from(JSON.stringify(payload), 'utf8').toString('base64'),
      attributes: {},
      messageId,
      message_id: messageId,
      publishTime: '2026-11-24T02:17:00.123Z',
      publish_time: '2026-11-24T02:17:00.123Z',
    },
    subscription: 'projects/demo-project/subscriptions/lbmedic-alerts-push',
  };
}
