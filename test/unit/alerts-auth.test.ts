/** The receiver's credentials (token in the URL, basic auth) and their configuration. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../runtime/config';
import { authenticate, secretEquals, type ReceiverCredentials } from '../../receiver/auth';

const TOKEN = 'f3c1d2e4b5a69788a1b2c3d4e5f60718';
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;

const CASES: {
  what: string;
  creds: ReceiverCredentials;
  query?: string;
  authorization?: string;
  ok: boolean;
}[] = [
  { what: 'right token', creds: { token: TOKEN }, query: `token=${TOKEN}`, ok: true },
  { what: 'wrong token', creds: { token: TOKEN }, query: 'token=guess', ok: false },
  { what: 'token with one character more', creds: { token: TOKEN }, query: `token=${TOKEN}0`, ok: false },
  { what: 'no token', creds: { token: TOKEN }, ok: false },
  { what: 'empty token', creds: { token: TOKEN }, query: 'token=', ok: false },
  {
    what: 'right basic auth',
    creds: { basic: { username: 'monitoring', password: 'correct horse battery' } },
    authorization: basic('monitoring', 'correct horse battery'),
    ok: true,
  },
  {
    what: 'basic auth, password with a colon',
    creds: { basic: { username: 'monitoring', password: 'a:b:c:d:e:f:g' } },
    authorization: basic('monitoring', 'a:b:c:d:e:f:g'),
    ok: true,
  },
  {
    what: 'wrong password',
    creds: { basic: { username: 'monitoring', password: 'correct horse battery' } },
    authorization: basic('monitoring', 'correct horse'),
    ok: false,
  },
  {
    what: 'wrong user',
    creds: { basic: { username: 'monitoring', password: 'correct horse battery' } },
    authorization: basic('someone', 'correct horse battery'),
    ok: false,
  },
  {
    what: 'a bearer token where basic auth is expected',
    creds: { basic: { username: 'monitoring', password: 'correct horse battery' } },
    authorization: `Bearer ${TOKEN}`,
    ok: false,
  },
  {
    what: 'basic auth configured, token given: only the configured method counts',
    creds: { basic: { username: 'monitoring', password: 'correct horse battery' } },
    query: `token=${TOKEN}`,
    ok: false,
  },
  {
    what: 'both configured, either is enough (token)',
    creds: { token: TOKEN, basic: { username: 'monitoring', password: 'correct horse battery' } },
    query: `token=${TOKEN}`,
    ok: true,
  },
  {
    what: 'both configured, either is enough (basic)',
    creds: { token: TOKEN, basic: { username: 'monitoring', password: 'correct horse battery' } },
    authorization: basic('monitoring', 'correct horse battery'),
    ok: true,
  },
];

for (const c of CASES) {
  test(`auth: ${c.what} → ${c.ok ? 'accepted' : '401'}`, () => {
    assert.equal(authenticate(c.creds, new URLSearchParams(c.query ?? ''), c.authorization), c.ok);
  });
}

test('secretEquals compares strings of any lengths without throwing', () => {
  assert.equal(secretEquals('a', 'a'), true);
  assert.equal(secretEquals('a', 'ab'), false);
  assert.equal(secretEquals('', 'x'.repeat(1000)), false);
});

test('receiver settings come from the environment, checked at start-up', () => {
  const c = loadConfig({
    LBMEDIC_RECEIVER_PORT: '9000',
    LBMEDIC_RECEIVER_TOKEN: TOKEN,
    LBMEDIC_RECEIVER_BASIC_AUTH: 'monitoring:correct horse battery',
  });
  assert.equal(c.receiverHost, '127.0.0.1');
  assert.equal(c.receiverPort, 9000);
  assert.equal(c.receiverToken, TOKEN);
  assert.deepEqual(c.receiverBasicAuth, { username: 'monitoring', password: 'correct horse battery' });
  assert.equal(c.receiverMaxBodyBytes, 262_144);
  assert.equal(c.receiverTemporalTimeoutMs, 10_000);
});

test('weak receiver secrets fail fast, naming the variable and never echoing the value', () => {
  assert.throws(
    () => loadConfig({ LBMEDIC_RECEIVER_TOKEN: 'short', LBMEDIC_RECEIVER_BASIC_AUTH: 'user:pw' }),
    (err: Error) =>
      /LBMEDIC_RECEIVER_TOKEN: must be at least 16 characters/.test(err.message) &&
      /LBMEDIC_RECEIVER_BASIC_AUTH: must be user:password/.test(err.message) &&
      !err.message.includes('user:pw'),
  );
});
