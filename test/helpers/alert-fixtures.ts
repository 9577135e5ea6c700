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

/** A fresh copy of a fixture, safe to modify. */
export function alertFixture(
  name: AlertFixture,
): Record<string, unknown> & { incident: Record<string, unknown> } {
  return JSON.parse(
    readFileSync(new URL(`../fixtures/alerts/${name}.json`, import.meta.url), 'utf8'),
  ) as Record<string, unknown> & { incident: Record<string, unknown> };
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
