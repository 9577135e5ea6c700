/** Fresh evidence (core/freshness.ts): how old an alert may be, and from when the LB log is read. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  alertAgeProblem,
  INCIDENT_MEMORY_HOURS,
  logsSince,
  MAX_ALERT_AGE_LIMIT_SEC,
  TEMPORAL_MIN_RETENTION_HOURS,
} from '../../core/freshness';

const NOW = new Date('2026-11-24T12:00:00.000Z');
const sec = (iso: string) => Date.parse(iso) / 1000;

test('an alert is fresh until maxAlertAge after its incident started; without started_at it is refused', () => {
  assert.equal(alertAgeProblem(sec('2026-11-24T11:30:00Z'), NOW, 3600), undefined);
  assert.equal(alertAgeProblem(sec('2026-11-24T11:00:00Z'), NOW, 3600), undefined, 'exactly maxAlertAge');
  assert.match(
    alertAgeProblem(sec('2026-11-24T10:59:59Z'), NOW, 3600) ?? '',
    /^the incident started 3601s ago \(2026-11-24T10:59:59\.000Z\), more than maxAlertAge 3600s$/,
  );
  assert.match(alertAgeProblem(sec('2019-01-01T00:00:00Z'), NOW, 3600) ?? '', /more than maxAlertAge/);
  assert.match(alertAgeProblem(undefined, NOW, 3600) ?? '', /no started_at, so its age cannot be checked/);
  assert.match(alertAgeProblem(0, NOW, 3600) ?? '', /no started_at/);
  assert.equal(alertAgeProblem(sec('2026-11-24T12:04:00Z'), NOW, 3600), undefined, 'a clock a little ahead');
  assert.match(alertAgeProblem(sec('2030-01-01T00:00:00Z'), NOW, 3600) ?? '', /is \d+s in the future/);
});

test('the largest maxAlertAge stays inside every memory an incident id can have', () => {
  assert.ok(MAX_ALERT_AGE_LIMIT_SEC < INCIDENT_MEMORY_HOURS * 3600);
  assert.ok(MAX_ALERT_AGE_LIMIT_SEC < TEMPORAL_MIN_RETENTION_HOURS * 3600);
});

test('logsSince: the latest of the window, the earliest open incident’s start and lbmedic’s last change', () => {
  const base = { now: NOW.toISOString(), windowMinutes: 10, incidents: [], past: [] };
  assert.equal(logsSince(base), '2026-11-24T11:50:00.000Z', 'the window alone');
  const incidents = [
    { state: 'open' as const, startedAt: sec('2026-11-24T11:55:00Z') },
    { state: 'open' as const, startedAt: sec('2026-11-24T11:53:00Z') },
    { state: 'closed' as const, startedAt: sec('2026-11-24T11:58:00Z') },
  ];
  assert.equal(logsSince({ ...base, incidents }), '2026-11-24T11:53:00.000Z', 'the earliest open incident');
  const past = [
    { closedAt: '2026-11-24T11:57:00.000Z', outcome: 'REMEDIATED' },
    { closedAt: '2026-11-24T11:59:00.000Z', outcome: 'NO_FAULT' },
    { closedAt: '2026-11-24T11:56:00.000Z', outcome: 'ROLLED_BACK' },
  ];
  assert.equal(logsSince({ ...base, incidents, past }), '2026-11-24T11:57:00.000Z', 'after the last change');
  assert.equal(
    logsSince({ ...base, incidents, past, changedAt: '2026-11-24T11:58:30.000Z' }),
    '2026-11-24T11:58:30.000Z',
    'this run’s own change',
  );
  const old = [{ closedAt: '2026-11-20T00:00:00.000Z', outcome: 'REMEDIATED' }];
  assert.equal(
    logsSince({ ...base, past: old }),
    '2026-11-24T11:50:00.000Z',
    'never earlier than the window',
  );
});
