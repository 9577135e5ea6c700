/** Parsing Cloud Monitoring notifications: webhook 1.2, the console's test notification, Pub/Sub push. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeBase64, parsePubSubBody, parseWebhookBody, toIncident } from '../../core/alerts';
import { alertFixture, pubsubEnvelope, type AlertFixture } from '../helpers/alert-fixtures';

const ACCEPTED: { fixture: AlertFixture; state: 'open' | 'closed'; test: boolean; incidentId: string }[] = [
  { fixture: 'lb-5xx-open', state: 'open', test: false, incidentId: '0.nq1j3y4w2k8p' },
  { fixture: 'lb-5xx-closed', state: 'closed', test: false, incidentId: '0.nq1j3y4w2k8p' },
  { fixture: 'url-map-only-open', state: 'open', test: false, incidentId: '0.m2w8x9r4t6y1' },
  { fixture: 'failed-to-pick-backend-open', state: 'open', test: false, incidentId: '0.lq7c2v5b8n3m' },
  { fixture: 'vm-cpu-open', state: 'open', test: false, incidentId: '0.mtdi83m6w8ao' },
  { fixture: 'uptime-labelled-open', state: 'open', test: false, incidentId: '0.ligwyr056k2l' },
  // The console's test: version "test", state "OPEN", documentation a plain string.
  { fixture: 'test-notification', state: 'open', test: true, incidentId: '12345' },
];

for (const c of ACCEPTED) {
  test(`webhook ${c.fixture}: accepted, state ${c.state}${c.test ? ', marked as the test notification' : ''}`, () => {
    const parsed = parseWebhookBody(alertFixture(c.fixture));
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
    assert.equal(parsed.notification.incident.state, c.state);
    assert.equal(parsed.notification.incident.incident_id, c.incidentId);
    assert.equal(parsed.test, c.test);
  });

  test(`pubsub ${c.fixture}: the same notification from the push envelope`, () => {
    const payload = alertFixture(c.fixture);
    const parsed = parsePubSubBody(pubsubEnvelope(payload, 'm-1'));
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
    const direct = parseWebhookBody(payload);
    assert.ok(direct.ok);
    assert.deepEqual(parsed.notification, direct.notification);
    assert.equal(parsed.test, c.test);
    assert.equal(parsed.messageId, 'm-1');
  });
}

/** Each case: a change to a valid payload, and what the error must say. */
const REJECTED: { what: string; body: () => unknown; error: RegExp }[] = [
  { what: 'not an object', body: () => 'hello', error: /expected object/ },
  { what: 'no incident', body: () => ({ version: '1.2' }), error: /^incident: / },
  {
    what: 'no incident_id',
    body: () => {
      const p = alertFixture('lb-5xx-open');
      delete p.incident.incident_id;
      return p;
    },
    error: /incident\.incident_id: /,
  },
  {
    what: 'an unknown state',
    body: () => {
      const p = alertFixture('lb-5xx-open');
      p.incident.state = 'acknowledged';
      return p;
    },
    error: /incident\.state: must be "open" or "closed"/,
  },
  {
    what: 'started_at as a string',
    body: () => {
      const p = alertFixture('lb-5xx-open');
      p.incident.started_at = 'yesterday';
      return p;
    },
    error: /incident\.started_at: /,
  },
  {
    what: 'no version',
    body: () => {
      const p = alertFixture('lb-5xx-open');
      delete p.version;
      return p;
    },
    error: /^version: /,
  },
];

for (const c of REJECTED) {
  test(`webhook rejected with a message naming the field: ${c.what}`, () => {
    const parsed = parseWebhookBody(c.body());
    assert.equal(parsed.ok, false);
    assert.match(parsed.ok ? '' : parsed.error, c.error);
  });
}

const PUBSUB_REJECTED: { what: string; body: unknown; error: RegExp }[] = [
  { what: 'no message', body: { subscription: 'projects/p/subscriptions/s' }, error: /^message: / },
  { what: 'empty data', body: { message: { data: '' } }, error: /message\.data: must carry the base64/ },
  {
    what: 'data not base64',
    body: { message: { data: 'not base64!' } },
    error: /message\.data: is not base64/,
  },
  {
    what: 'data not JSON',
    body: { message: { data: Buffer.from('plain text').toString('base64') } },
    error: /message\.data: does not decode to JSON/,
  },
  {
    what: 'data JSON but not a notification',
    body: { message: { data: Buffer.from('{"hello":"world"}').toString('base64') } },
    error: /message\.data\.version: .*; message\.data\.incident: /,
  },
];

for (const c of PUBSUB_REJECTED) {
  test(`pubsub rejected with a message: ${c.what}`, () => {
    const parsed = parsePubSubBody(c.body);
    assert.equal(parsed.ok, false);
    assert.match(parsed.ok ? '' : parsed.error, c.error);
  });
}

test('pubsub without the wrapper (the notification JSON pushed as is) is accepted', () => {
  const parsed = parsePubSubBody(alertFixture('lb-5xx-open'));
  assert.ok(parsed.ok);
  assert.equal(parsed.notification.incident.incident_id, '0.nq1j3y4w2k8p');
});

test('base64: standard and URL-safe alphabets, missing padding, UTF-8; rejects garbage', () => {
  const text = '{"summary":"Überlast ≥ 5%"}';
  const std = Buffer.from(text).toString('base64');
  assert.equal(decodeBase64(std), text);
  assert.equal(decodeBase64(Buffer.from(text).toString('base64url')), text);
  assert.equal(decodeBase64(std.replace(/=+$/, '')), text);
  assert.equal(decodeBase64('%%%'), undefined);
  assert.equal(decodeBase64('A'), undefined);
  assert.equal(decodeBase64(Buffer.from([0xff, 0xfe, 0x00]).toString('base64')), undefined);
});

test('toIncident keeps what the workflow records and drops empty fields', () => {
  const open = parseWebhookBody(alertFixture('lb-5xx-open', { asRecorded: true }));
  assert.ok(open.ok);
  assert.deepEqual(toIncident(open.notification.incident, 'webhook', '2026-11-24T02:17:00.000Z'), {
    incidentId: '0.nq1j3y4w2k8p',
    state: 'open',
    source: 'webhook',
    receivedAt: '2026-11-24T02:17:00.000Z',
    policyName: 'lbmedic: load balancer 5xx ratio',
    conditionName: '5xx ratio above 5% (external ALB)',
    summary: open.notification.incident.summary,
    url: 'https://console.cloud.google.com/monitoring/alerting/incidents/0.nq1j3y4w2k8p?project=demo-project',
    startedAt: 1764031020,
    labels: { managed_by: 'lbmedic', lbmedic_role: 'lb-5xx-ratio' },
  });
  const closed = parseWebhookBody(alertFixture('lb-5xx-closed', { asRecorded: true }));
  assert.ok(closed.ok);
  const incident = toIncident(closed.notification.incident, 'pubsub', '2026-11-24T02:32:00.000Z');
  assert.equal(incident.state, 'closed');
  assert.equal(incident.endedAt, 1764031920);
  const testNote = parseWebhookBody(alertFixture('test-notification'));
  assert.ok(testNote.ok);
  const t = toIncident(testNote.notification.incident, 'webhook', '2026-11-24T02:17:00.000Z');
  assert.equal(t.startedAt, undefined, 'started_at 0 is no time');
});
