/**
 * The receiver's log (receiver/log.ts): secrets never reach it in any form, and failed
 * authentications are counted into one line per interval.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactor, requestLog, secretForms } from '../../receiver/log';

const creds = {
  token: 'tok/en+0123456789abcdef==',
  basic: { username: 'monitor', password: 'p@ss word:12345' },
};

test('every form of every secret is redacted: as sent, percent-encoded, base64', () => {
  const forms = secretForms(creds);
  for (const f of [
    creds.token,
    encodeURIComponent(creds.token),
    Buffer.from(creds.token).toString('base64'),
    creds.basic.password,
    encodeURIComponent(creds.basic.password),
    Buffer.from(`monitor:${creds.basic.password}`).toString('base64'),
  ])
    assert.ok(forms.includes(f), f);
  const redact = redactor(creds);
  const text = `/alerts;token=${creds.token} ?token=${encodeURIComponent(creds.token)} Basic ${Buffer.from(
    `monitor:${creds.basic.password}`,
  ).toString('base64')}`;
  assert.equal(redact(text), '/alerts;token=[redacted] ?token=[redacted] Basic [redacted]');
  assert.equal(redactor({})('nothing to hide'), 'nothing to hide');
});

test('request lines are redacted deep; failed authentications are one line per interval with a count', () => {
  const lines: Record<string, unknown>[] = [];
  let clock = Date.parse('2026-11-24T12:00:00.000Z');
  const log = requestLog({
    write: (e) => lines.push(e),
    credentials: creds,
    intervalMs: 3_600_000,
    now: () => new Date(clock),
  });
  log.request({
    msg: 'request',
    reason: `bad ${creds.token}`,
    nested: { [creds.basic.password]: [creds.token] },
  });
  assert.deepEqual(lines, [
    { msg: 'request', reason: 'bad [redacted]', nested: { '[redacted]': ['[redacted]'] } },
  ]);
  for (let i = 0; i < 5; i++) log.authFailure('203.0.113.7');
  clock += 1_000;
  log.authFailure('198.51.100.1');
  log.authFailure(undefined);
  assert.equal(lines.length, 1, 'nothing written per failure');
  log.close();
  assert.deepEqual(lines[1], {
    time: '2026-11-24T12:00:01.000Z',
    msg: 'authentication failures',
    count: 7,
    since: '2026-11-24T12:00:00.000Z',
    remotes: { '203.0.113.7': 5, '198.51.100.1': 1, other: 1 },
  });
  log.close();
  assert.equal(lines.length, 2, 'no line without failures');
});
