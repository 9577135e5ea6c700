/**
 * Property-based fuzzing of the alert parsers (core/alerts.ts) and the target mapping
 * (core/alert-targets.ts): for any JSON value they answer ok or an error, never throw, never let a
 * prototype-polluting key through, and what they accept is what the remediation may rely on.
 * Seeds and run counts: test/helpers/fuzz.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { alertTarget } from '../../core/alert-targets';
import {
  decodeBase64,
  parsePubSubBody,
  parseWebhookBody,
  toIncident,
  type ParsedNotification,
} from '../../core/alerts';
import { remediationWorkflowId } from '../../core/model';
import {
  anyJson,
  base64ish,
  envelope,
  fuzzParams,
  notificationLike,
  POLLUTING_KEYS,
  pubsubLike,
} from '../helpers/fuzz';

const RESOURCE_NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Calls a parser and checks the shape of its answer; returns it. Throws if the parser threw. */
function checkAnswer(parse: (json: unknown) => ParsedNotification, json: unknown): ParsedNotification {
  let parsed: ParsedNotification;
  try {
    parsed = parse(json);
  } catch (err) {
    assert.fail(`the parser threw ${String(err)} for ${JSON.stringify(json)}`);
  }
  if (!parsed.ok) {
    assert.equal(typeof parsed.error, 'string');
    assert.ok(parsed.error.length > 0, 'an error says what is wrong');
    return parsed;
  }
  const { incident } = parsed.notification;
  assert.equal(typeof parsed.test, 'boolean');
  assert.ok(incident.state === 'open' || incident.state === 'closed', `state ${String(incident.state)}`);
  assert.equal(typeof incident.incident_id, 'string');
  assert.ok(incident.incident_id.length > 0);
  // What the receiver does next with an accepted notification must not throw either.
  const record = toIncident(incident, 'webhook', '2026-11-24T02:17:00.000Z');
  assert.equal(record.incidentId, incident.incident_id);
  for (const v of Object.values(record.labels ?? {})) assert.equal(typeof v, 'string');
  const target = alertTarget(incident);
  if (target.kind === 'backendServices') {
    for (const bs of target.backendServices) {
      assert.match(bs, RESOURCE_NAME);
      assert.match(remediationWorkflowId(target.project, bs), /^lbmedic\/[A-Za-z0-9._-]+\/[a-z0-9-]+$/);
    }
  }
  if (target.kind === 'urlMap') assert.match(target.urlMap, RESOURCE_NAME);
  return parsed;
}

/** No parser may leave anything on Object.prototype. */
function assertNoPollution() {
  const probe = {} as Record<string, unknown>;
  for (const key of ['incident_id', 'state', 'polluted', 'summary', 'lbmedic_backend_service']) {
    assert.equal(probe[key], undefined, `Object.prototype.${key} was set`);
  }
}

test('parseWebhookBody: any JSON value → ok or an error, never a throw', () => {
  fc.assert(
    fc.property(fc.oneof(anyJson, notificationLike), (json) => {
      checkAnswer(parseWebhookBody, json);
      assertNoPollution();
    }),
    fuzzParams(1000),
  );
});

test('parseWebhookBody: any value at all (not only JSON) → ok or an error', () => {
  fc.assert(
    fc.property(
      fc.anything({ withBigInt: true, withMap: true, withSet: true, withNullPrototype: true }),
      (v) => {
        checkAnswer(parseWebhookBody, v);
      },
    ),
    fuzzParams(500),
  );
});

test('parsePubSubBody: any JSON value or push envelope → ok or an error, never a throw', () => {
  fc.assert(
    fc.property(fc.oneof(anyJson, pubsubLike), (json) => {
      checkAnswer(parsePubSubBody, json);
      assertNoPollution();
    }),
    fuzzParams(1000),
  );
});

test('parsePubSubBody: the envelope carries exactly what the webhook would accept', () => {
  fc.assert(
    fc.property(notificationLike, fc.boolean(), (n, urlSafe) => {
      const data = Buffer.from(JSON.stringify(n)).toString(urlSafe ? 'base64url' : 'base64');
      const viaPush = checkAnswer(parsePubSubBody, envelope(data));
      const direct = checkAnswer(parseWebhookBody, JSON.parse(JSON.stringify(n)));
      assert.equal(viaPush.ok, direct.ok);
      if (viaPush.ok && direct.ok) assert.deepEqual(viaPush.notification, direct.notification);
    }),
    fuzzParams(500),
  );
});

test('decodeBase64: any string → text or undefined, never a throw', () => {
  fc.assert(
    fc.property(fc.oneof(base64ish, fc.string()), (s) => {
      let out: string | undefined;
      try {
        out = decodeBase64(s);
      } catch (err) {
        assert.fail(`decodeBase64(${JSON.stringify(s)}) threw ${String(err)}`);
      }
      assert.ok(out === undefined || typeof out === 'string');
    }),
    fuzzParams(1000),
  );
});

test('decodeBase64: round-trips UTF-8 text in both alphabets, with or without padding', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (text) => {
      const std = Buffer.from(text, 'utf8').toString('base64');
      assert.equal(decodeBase64(std), text);
      assert.equal(decodeBase64(std.replace(/=+$/, '')), text);
      assert.equal(decodeBase64(Buffer.from(text, 'utf8').toString('base64url')), text);
    }),
    fuzzParams(500),
  );
});

test('prototype-polluting keys anywhere in a notification are dropped, never inherited', () => {
  const key = fc.constantFrom(...POLLUTING_KEYS);
  const where = fc.constantFrom('top', 'incident', 'labels', 'resource.labels');
  fc.assert(
    fc.property(key, where, (k, at) => {
      // Written as text: JSON.parse makes `__proto__` an own property, as a received body would.
      const evil = `{"${k}":{"polluted":"yes","lbmedic_backend_service":"evil-bs","state":"open","incident_id":"x"}}`;
      const labelsText = at === 'labels' ? evil : '{}';
      const resourceLabels = at === 'resource.labels' ? evil : '{}';
      const incidentExtra = at === 'incident' ? `${evil.slice(1, -1)},` : '';
      const topExtra = at === 'top' ? `${evil.slice(1, -1)},` : '';
      const text =
        `{${topExtra}"version":"1.2","incident":{${incidentExtra}"incident_id":"0.abc","state":"open",` +
        `"scoping_project_id":"fz-project","policy_user_labels":${labelsText},` +
        `"resource":{"type":"gce_instance","labels":${resourceLabels}}}}`;
      const parsed = checkAnswer(parseWebhookBody, JSON.parse(text));
      assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
      const { incident } = parsed.notification;
      for (const obj of [
        parsed.notification,
        incident,
        incident.policy_user_labels,
        incident.resource?.labels,
      ]) {
        if (obj) assert.equal(Object.getPrototypeOf(obj), Object.prototype);
      }
      assert.equal((incident as Record<string, unknown>).polluted, undefined);
      assert.deepEqual(alertTarget(incident).kind, 'unmapped', 'nothing routes through an inherited label');
      assertNoPollution();
    }),
    fuzzParams(100),
  );
});
