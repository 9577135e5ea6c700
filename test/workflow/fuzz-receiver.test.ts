/**
 * Bad input, property-based (issue 8): the alert receiver over real HTTP, on a real Temporal dev
 * server, fed arbitrary bodies (bytes, text in several encodings, invalid UTF-8, sizes around the
 * limit, JSON nested 10 000 deep, prototype-polluting keys, extreme numbers, notification look-alikes),
 * arbitrary headers (content types, charsets, duplicates, odd values, wrong Content-Length, chunked)
 * and credentials, good and bad. Properties, for every request:
 *  - no answer is a 5xx (the only 5xx the receiver may give, 503 temporal-/gcp-unavailable, cannot
 *    happen here: Temporal is up, a worker serves the governors that admit new remediations, and the
 *    URL maps they read come from the simulator), neither sent nor logged;
 *  - the receiver is still alive: `/healthz` answers 200 after each run;
 *  - a workflow is started only for a valid open notification, with good credentials, of at most the
 *    body limit, in UTF-8 JSON: checked on each answer, then against Temporal (describe and visibility).
 * Then: invalid policies and invalid configuration never start a worker.
 * Seeds and run counts: test/helpers/fuzz.ts (fast-check prints the seed and path of a failure).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { alertTarget } from '../../core/alert-targets';
import { parsePubSubBody, parseWebhookBody, type ParsedNotification } from '../../core/alerts';
import { alertAgeProblem, DEFAULT_MAX_ALERT_AGE_SEC, MAX_CLOCK_AHEAD_SEC } from '../../core/freshness';
import { remediationWorkflowId } from '../../core/model';
import { scopeOfProjects, scopeProblem } from '../../core/scope';
import { startReceiver, type Receiver } from '../../receiver/server';
import { loadPolicies } from '../../runtime/policy-loader';
import { FIXTURE_APPROVERS } from '../helpers/approvers';
import { PROJECT_ROOT } from '../../runtime/temporal-binaries';
import { createWorker } from '../../runtime/worker';
import { alertFixture, pubsubEnvelope } from '../helpers/alert-fixtures';
import { anyJson, base64ish, envelope, fuzzParams, notificationLike, pubsubLike } from '../helpers/fuzz';
import { policyDir, removeDir } from '../helpers/stack';
import { eventually, startSim, type SimHarness } from '../helpers/sim';
import { startDevServer } from '../helpers/temporal';

const TOKEN = 'fuzz-token-0123456789abcdef';
const BASIC = { username: 'cloud-monitoring', password: 'correct horse battery staple' };
const LIMIT = 64 * 1024;
const TASK_QUEUE = 'lbmedic-fuzz-receiver';
/** The fuzzer's own projects are in scope; anything else (the fixtures' demo-project) is not. */
const SCOPE = scopeOfProjects(['fz-*']);

let env: TestWorkflowEnvironment;
let receiver: Receiver;
const logs: Record<string, unknown>[] = [];
/** Workflow ids the receiver answered `accepted` for, and the ones valid-looking bodies would have named. */
const started = new Set<string>();
const refused = new Set<string>();
/** Ids of valid, authorized requests whose answer never came back (the client hung up first). */
const unanswered = new Set<string>();

/**
 * The governors' own task queue and worker: remediations go to TASK_QUEUE, which no worker serves,
 * so they wait and Temporal can be compared with the answers. Fleet limits high enough that no valid
 * alert is queued: the fuzz names few projects many times.
 */
const GOVERNORS = 'lbmedic-fuzz-governors';
let sim: SimHarness;
let worker: { worker: Worker; running: Promise<void> } | undefined;
let policies: string;

before(async () => {
  [env, sim] = await Promise.all([startDevServer(), startSim('healthy')]);
  policies = policyDir({
    'settings.yaml': [
      ['maxConcurrent: 10', 'maxConcurrent: 1000'],
      ['maxNew: 20', 'maxNew: 10000'],
      ['queue: 100', 'queue: 1000'],
      ['backendServices: 10', 'backendServices: 1000'],
    ],
  });
  const w = await createWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue: GOVERNORS,
    clients: sim.clients,
    policies: loadPolicies(policies, { approverFiles: [FIXTURE_APPROVERS] }),
    scope: SCOPE,
    temporal: env.client,
    notify: { writeLine: () => undefined },
  });
  worker = { worker: w, running: w.run() };
  receiver = await startReceiver({
    client: env.client,
    taskQueue: TASK_QUEUE,
    governorTaskQueue: GOVERNORS,
    temporalTimeoutMs: 10_000,
    scope: SCOPE,
    credentials: { token: TOKEN, basic: BASIC },
    maxBodyBytes: LIMIT,
    log: (entry) => logs.push(entry),
  });
});
after(async () => {
  await receiver?.close();
  worker?.worker.shutdown();
  await worker?.running;
  await Promise.all([env?.teardown(), sim?.stop()]);
  if (policies) removeDir(policies);
});

// ---------------------------------------------------------------------------------------------------
// Requests, sent byte for byte over a socket so that headers and framing can be anything.

type Auth = 'token' | 'basic' | 'token+wrong-basic' | 'none' | 'wrong-token' | 'wrong-basic' | 'odd';

/** Content types, and whether the receiver must take the body as JSON (cross-checks {@link isJsonType}). */
const CONTENT_TYPES: [string | undefined, boolean][] = [
  ['application/json', true],
  ['Application/JSON', true],
  ['application/json; charset=utf-8', true],
  ['application/json;charset=UTF-8', true],
  ['application/json; charset=latin1', true],
  ['application/json; charset=utf-16', true],
  ['  application/json  ;  foo=bar', true],
  ['application/json, text/plain', false],
  ['application/jsonp', false],
  ['application/problem+json', false],
  ['text/json', false],
  ['text/plain', false],
  ['application/x-www-form-urlencoded', false],
  ['multipart/form-data; boundary=xyz', false],
  ['', false],
  [undefined, false],
];

type Framing = { kind: 'length' } | { kind: 'chunked'; chunk: number } | { kind: 'declared'; bytes: number };

interface FuzzRequest {
  path: '/alerts' | '/pubsub';
  auth: Auth;
  oddAuth?: string;
  contentType: number;
  /** Extra header lines, possibly duplicating Content-Type or Authorization. */
  headers: [string, string][];
  body: Buffer;
  framing: Framing;
}

interface Answer {
  status: number | undefined;
  /** The receiver's JSON answer; undefined when Node itself answered (a malformed request). */
  json: Record<string, unknown> | undefined;
  raw: string;
}

function authLines(r: FuzzRequest): { query: string; headers: [string, string][] } {
  const basic = (password: string) =>
    `Basic ${Buffer.from(`${BASIC.username}:${password}`).toString('base64')}`;
  switch (r.auth) {
    case 'token':
      return { query: `?token=${TOKEN}`, headers: [] };
    case 'basic':
      return { query: '', headers: [['Authorization', basic(BASIC.password)]] };
    case 'token+wrong-basic':
      return { query: `?token=${TOKEN}`, headers: [['Authorization', basic('guess')]] };
    case 'none':
      return { query: '', headers: [] };
    case 'wrong-token':
      return { query: `?token=${TOKEN.toUpperCase()}`, headers: [] };
    case 'wrong-basic':
      return { query: '', headers: [['Authorization', basic(`${BASIC.password} `)]] };
    case 'odd':
      return { query: `?tok%65n=${TOKEN}x`, headers: [['Authorization', r.oddAuth ?? '']] };
  }
}

/** The bytes the receiver gets as the body, given the framing. */
function bodyReceived(r: FuzzRequest): Buffer {
  return r.framing.kind === 'declared' ? r.body.subarray(0, r.framing.bytes) : r.body;
}

function headerLines(r: FuzzRequest): [string, string][] {
  const [ct] = CONTENT_TYPES[r.contentType] ?? [undefined];
  return [
    ['Host', '127.0.0.1'],
    ['Connection', 'close'],
    ...(ct === undefined ? [] : ([['Content-Type', ct]] as [string, string][])),
    ...authLines(r).headers,
    ...r.headers,
  ];
}

/** The value Node hands on: the first of duplicated Content-Type / Authorization lines, trimmed. */
function firstHeader(r: FuzzRequest, name: string): string | undefined {
  return headerLines(r)
    .find(([k]) => k.toLowerCase() === name)?.[1]
    .replace(/^[\t ]+|[\t ]+$/g, '');
}

/** RFC 8259 / 9110: the media type (before any parameter), case-insensitive, is application/json. */
function isJsonType(r: FuzzRequest): boolean {
  const value = firstHeader(r, 'content-type');
  return value !== undefined && value.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

function isAuthorized(r: FuzzRequest): boolean {
  const rightBasic = `Basic ${Buffer.from(`${BASIC.username}:${BASIC.password}`).toString('base64')}`;
  return (
    r.auth === 'token' || r.auth === 'token+wrong-basic' || firstHeader(r, 'authorization') === rightBasic
  );
}

function encodeRequest(r: FuzzRequest): Buffer {
  const auth = authLines(r);
  const lines = headerLines(r);
  let body = r.body;
  if (r.framing.kind === 'length') lines.push(['Content-Length', String(r.body.length)]);
  if (r.framing.kind === 'declared') lines.push(['Content-Length', String(r.framing.bytes)]);
  if (r.framing.kind === 'chunked') {
    lines.push(['Transfer-Encoding', 'chunked']);
    const parts: Buffer[] = [];
    for (let i = 0; i < r.body.length; i += r.framing.chunk) {
      const piece = r.body.subarray(i, i + r.framing.chunk);
      parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
    }
    parts.push(Buffer.from('0\r\n\r\n'));
    body = Buffer.concat(parts);
  }
  const head = `POST ${r.path}${auth.query} HTTP/1.1\r\n${lines.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

/**
 * Writes `bytes` and reads until the server closes (`Connection: close`; bounded by a socket timeout).
 * `halfClose` ends the request stream, for bodies shorter than their Content-Length (Node answers a
 * half-closed connection's request only if it can at once, so it is not used otherwise).
 */
function sendRaw(port: number, bytes: Buffer, halfClose = false): Promise<Answer> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(15_000, () => socket.destroy());
    socket.on('connect', () => (halfClose ? socket.end(bytes) : socket.write(bytes)));
    socket.on('data', (c: Buffer) => chunks.push(c));
    // A reset after the answer (the server stops reading an oversized body) is expected.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      let all = Buffer.concat(chunks);
      // Interim answers (100 Continue to `Expect: 100-continue`) precede the real one.
      while (/^HTTP\/1\.1 1\d\d /.test(all.toString('latin1', 0, 16)) && all.indexOf('\r\n\r\n') >= 0) {
        all = all.subarray(all.indexOf('\r\n\r\n') + 4);
      }
      const raw = all.toString('latin1');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1];
      const end = all.indexOf('\r\n\r\n');
      let json: Record<string, unknown> | undefined;
      if (end >= 0) {
        const first = raw.slice(0, end);
        const length = Number(/\r\ncontent-length: (\d+)/i.exec(first)?.[1] ?? -1);
        try {
          const parsed: unknown = JSON.parse(all.subarray(end + 4, end + 4 + length).toString('utf8'));
          if (parsed !== null && typeof parsed === 'object') json = parsed as Record<string, unknown>;
        } catch {
          json = undefined;
        }
      }
      resolve({ status: status === undefined ? undefined : Number(status), json, raw: raw.slice(0, 400) });
    });
  });
}

async function healthy(url: string): Promise<void> {
  const res = await fetch(`${url}/healthz`);
  assert.equal(res.status, 200, 'the receiver answers /healthz');
  await res.body?.cancel();
}

// ---------------------------------------------------------------------------------------------------
// The oracle: what the receiver must do with a request, from the request alone.

/** Strict UTF-8, or undefined (RFC 8259 §8.1: JSON exchanged between systems is UTF-8). */
function strictUtf8(bytes: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

type StartVerdict = { start: 'must' | 'must-not' | 'may'; workflowIds: string[]; why: string };

/** Would a correct receiver start (or signal-with-start) a remediation for this body? */
function startVerdict(path: FuzzRequest['path'], bytes: Buffer): StartVerdict {
  const no = (why: string): StartVerdict => ({ start: 'must-not', workflowIds: [], why });
  const text = strictUtf8(bytes);
  if (text === undefined) return no('not UTF-8');
  let json: unknown;
  try {
    json = JSON.parse(text.startsWith('\ufeff') ? text.slice(1) : text);
  } catch {
    return no('not JSON');
  }
  let parsed: ParsedNotification;
  try {
    parsed = (path === '/alerts' ? parseWebhookBody : parsePubSubBody)(json);
  } catch (err) {
    return no(`the parser throws (${String(err)}): no valid notification`);
  }
  if (!parsed.ok) return no(`invalid: ${parsed.error.slice(0, 80)}`);
  if (parsed.test) return no('the console test notification');
  const target = alertTarget(parsed.notification.incident);
  if (target.kind !== 'backendServices') return no(`no backend service (${target.kind})`);
  const workflowIds = target.backendServices.map((bs) => remediationWorkflowId(target.project, bs));
  if (parsed.notification.incident.state !== 'open') return { ...no('closed incident'), workflowIds };
  const outside = target.backendServices.every((bs) =>
    scopeProblem(SCOPE, { project: target.project, backendService: bs }),
  );
  if (outside) return { ...no('out of scope'), workflowIds };
  const startedAt = parsed.notification.incident.started_at ?? undefined;
  // Within seconds of maxAlertAge (or of the clock-ahead bound) the receiver's clock decides.
  const age = Date.now() / 1000 - (startedAt ?? 0);
  const borderline =
    Math.abs(age - DEFAULT_MAX_ALERT_AGE_SEC) < 10 || Math.abs(age + MAX_CLOCK_AHEAD_SEC) < 10;
  const stale = alertAgeProblem(startedAt, new Date(), DEFAULT_MAX_ALERT_AGE_SEC);
  if (stale && !borderline) return { ...no(`stale: ${stale}`), workflowIds };
  // A leading BOM: RFC 8259 lets a parser ignore it or refuse the text.
  const start = text.startsWith('\ufeff') || borderline ? 'may' : 'must';
  return { start, workflowIds, why: 'a valid open notification naming a backend service' };
}

function noFivexxLogged(since: number) {
  for (const line of logs.slice(since)) {
    assert.ok(Number(line.status) < 500, `no 5xx logged: ${JSON.stringify(line).slice(0, 400)}`);
  }
}

/** Bytes as readable text: printable ASCII as is, anything else as \xNN; long bodies cut. */
function preview(bytes: Buffer, max = 300): string {
  let out = '';
  for (const b of bytes.subarray(0, max)) {
    out +=
      b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return bytes.length > max ? `${out}… (${bytes.length} bytes)` : out;
}

/** A request that fast-check prints readably in a counterexample. */
function described(r: FuzzRequest): FuzzRequest {
  return Object.defineProperty(r, fc.toStringMethod, {
    value: () =>
      `POST ${r.path} auth=${r.auth}${r.auth === 'odd' ? ` (${JSON.stringify(r.oddAuth)})` : ''} ` +
      `content-type=${JSON.stringify(CONTENT_TYPES[r.contentType]?.[0] ?? null)} ` +
      `headers=${JSON.stringify(r.headers)} framing=${JSON.stringify(r.framing)} body="${preview(r.body)}"`,
  });
}

/** Sends one request and checks every property on its answer. */
async function check(r: FuzzRequest): Promise<void> {
  const before = logs.length;
  const short = r.framing.kind === 'declared' && r.framing.bytes > r.body.length;
  const answer = await sendRaw(receiver.port, encodeRequest(r), short);
  const where = `answer ${answer.raw.split('\r\n')[0]} ${JSON.stringify(answer.json ?? null).slice(0, 300)}`;
  assert.ok(answer.status === undefined || answer.status < 500, `no 5xx: ${where}`);
  await healthy(receiver.url);
  noFivexxLogged(before);

  const authOk = isAuthorized(r);
  const jsonType = isJsonType(r);
  const received = bodyReceived(r);
  const verdict = startVerdict(r.path, received);
  const fromReceiver = answer.json !== undefined && answer.json.status === answer.status;
  const outcome = answer.json?.outcome;
  if (fromReceiver) {
    // Each check in the order the receiver makes them.
    if (!authOk) assert.equal(answer.status, 401, where);
    else if (!jsonType) assert.equal(answer.status, 415, where);
    else if (r.framing.kind !== 'declared' && received.length > LIMIT)
      assert.equal(answer.status, 413, where);
  }
  const mayStart = authOk && jsonType && received.length <= LIMIT && verdict.start !== 'must-not';
  if (outcome === 'accepted') {
    // Recorded first: the Temporal test compares Temporal with the answers, whatever this one finds.
    for (const t of (answer.json?.targets ?? []) as { workflowId: string }[]) started.add(t.workflowId);
    assert.ok(
      mayStart,
      `started a remediation for a body that must not start one (${verdict.why}): ${where}`,
    );
  } else if (answer.status === undefined && mayStart) {
    for (const id of verdict.workflowIds) unanswered.add(id);
  } else {
    for (const id of verdict.workflowIds) refused.add(id);
  }
  if (fromReceiver && mayStart && verdict.start === 'must' && r.framing.kind !== 'declared') {
    assert.equal(outcome, 'accepted', `a valid open notification is accepted: ${where}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Arbitraries.

const auth = fc.constantFrom<Auth>(
  'token',
  'token',
  'basic',
  'token+wrong-basic',
  'none',
  'wrong-token',
  'wrong-basic',
  'odd',
);
const path = fc.constantFrom<FuzzRequest['path']>('/alerts', '/pubsub');
const contentType = fc.oneof(
  { weight: 3, arbitrary: fc.constant(0) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: CONTENT_TYPES.length - 1 }) },
);
/** Header values Node may or may not accept: visible ASCII, tabs, obs-text (latin1 bytes). */
const headerValue = fc.stringMatching(/^[\t\x20-\x7e\x80-\xff]{0,40}$/);
const headerName = fc.oneof(
  fc.constantFrom(
    'Content-Type',
    'Authorization',
    'Accept',
    'Accept-Charset',
    'Content-Encoding',
    'User-Agent',
    'X-Forwarded-For',
    'X-Cloud-Trace-Context',
    'Expect',
  ),
  fc
    .stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}$/)
    .filter(
      (n) =>
        !/^(content-length|transfer-encoding|host|connection|content-type|authorization|expect)$/i.test(n),
    ),
);
const headers = fc.array(fc.tuple(headerName, headerValue), { maxLength: 4 });
const framing: fc.Arbitrary<Framing> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'length' as const }) },
  {
    weight: 2,
    arbitrary: fc.integer({ min: 1, max: 4096 }).map((chunk) => ({ kind: 'chunked' as const, chunk })),
  },
);

const request = (body: fc.Arbitrary<Buffer>, extra: { framing?: fc.Arbitrary<Framing> } = {}) =>
  fc
    .record({
      path,
      auth,
      oddAuth: headerValue,
      contentType,
      headers,
      body,
      framing: extra.framing ?? framing,
    })
    .map((r): FuzzRequest => described(r));

/** Text in an encoding: UTF-8 (with or without BOM), UTF-16 either way, Latin-1. */
const encoded = (textArb: fc.Arbitrary<string>) =>
  fc
    .tuple(textArb, fc.constantFrom('utf8', 'utf8', 'utf8-bom', 'utf16le', 'utf16be', 'latin1'))
    .map(([t, enc]) => {
      if (enc === 'utf8-bom') return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(t, 'utf8')]);
      if (enc === 'utf16be') return Buffer.from(t, 'utf16le').swap16();
      return Buffer.from(t, enc as BufferEncoding);
    });

/** Byte sequences that are not UTF-8: lone continuation, overlong, surrogates, truncated, 0xFF. */
const INVALID_UTF8 = [
  [0x80],
  [0xc0, 0x80],
  [0xed, 0xa0, 0x80],
  [0xe2, 0x82],
  [0xff],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
];

/** A valid open notification naming a backend service of its own project, and its JSON. */
const validOpen = fc
  .tuple(fc.stringMatching(/^fz-[a-z0-9]{4,8}$/), fc.stringMatching(/^[a-z][a-z0-9]{2,8}$/), fc.nat())
  .map(([project, bs, n]) => {
    const payload = alertFixture('lb-5xx-open');
    const incident = payload.incident as {
      resource: { labels: Record<string, string> };
      incident_id: string;
    };
    incident.resource.labels.project_id = project;
    incident.resource.labels.backend_target_name = bs;
    incident.incident_id = `0.fuzz${n}`;
    return payload;
  });

/** A valid open notification whose summary carries bytes that are not UTF-8. */
const invalidUtf8InString = fc.tuple(validOpen, fc.constantFrom(...INVALID_UTF8)).map(([payload, bad]) => {
  payload.incident.summary = 'MARK';
  const json = Buffer.from(JSON.stringify(payload));
  const at = json.indexOf('MARK');
  return Buffer.concat([json.subarray(0, at), Buffer.from(bad), json.subarray(at + 4)]);
});

const jsonBody = (value: fc.Arbitrary<unknown>) => value.map((v) => Buffer.from(JSON.stringify(v) ?? 'null'));

// ---------------------------------------------------------------------------------------------------
// Properties.

test('arbitrary bytes and text in any encoding: no 5xx, alive, nothing started', async () => {
  const body = fc.oneof(
    fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)),
    encoded(fc.string({ unit: 'binary', maxLength: 200 })),
    encoded(fc.string({ unit: 'grapheme', maxLength: 200 })),
    encoded(jsonBody(anyJson).map((b) => b.toString('utf8'))),
    fc.constantFrom(...INVALID_UTF8).map((b) => Buffer.from(b)),
    fc
      .constantFrom('', ' ', 'null', '0', '""', '[]', '{}', 'true', '{"', '\u0000')
      .map((s) => Buffer.from(s)),
  );
  await fc.assert(fc.asyncProperty(request(body), check), fuzzParams(300));
});

test('JSON of any shape, prototype-polluting keys, extreme numbers: no 5xx, alive, nothing started', async () => {
  const numberText = fc.constantFrom(
    '1e999',
    '-1e999',
    '1e-400',
    '-0',
    '123456789012345678901234567890',
    '0.1e1',
    '9007199254740993',
  );
  const body = fc.oneof(
    jsonBody(anyJson),
    // Numbers JSON.stringify never writes, in the fields lbmedic reads.
    fc
      .tuple(
        validOpen,
        numberText,
        fc.constantFrom('started_at', 'ended_at', 'observed_value', 'incident_id'),
      )
      .map(([p, num, field]) =>
        Buffer.from(JSON.stringify(p).replace(/"incident":\{/, `"incident":{"${field}":${num},`)),
      ),
    // Prototype-polluting keys, as text (JSON.parse makes them own properties, as for a real body).
    fc
      .tuple(validOpen, fc.constantFrom('__proto__', 'constructor', 'prototype'), fc.boolean())
      .map(([p, key, inLabels]) => {
        const evil = `"${key}":{"state":"open","incident_id":"evil","lbmedic_backend_service":"evil-bs","polluted":true}`;
        const text = JSON.stringify(p);
        return Buffer.from(
          inLabels
            ? text.replace('"policy_user_labels":{', `"policy_user_labels":{${evil},`)
            : text.replace('"incident":{', `"incident":{${evil},`).replace(/^\{/, `{${evil},`),
        );
      }),
  );
  await fc.assert(fc.asyncProperty(request(body), check), fuzzParams(250));
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched');
});

test('notification look-alikes (webhook and Pub/Sub) with random fields: started only when valid, open and authorized', async () => {
  const body = fc.oneof(
    jsonBody(notificationLike),
    jsonBody(pubsubLike),
    jsonBody(validOpen),
    jsonBody(validOpen.map((p) => pubsubEnvelope(p))),
    jsonBody(validOpen.map((p) => envelope(Buffer.from(JSON.stringify(p)).toString('base64url')))),
    // Push data in the base64 alphabets with every padding, valid or not.
    jsonBody(base64ish.map((d) => envelope(d))),
  );
  await fc.assert(fc.asyncProperty(request(body), check), fuzzParams(300));
});

test('Pub/Sub push data in the base64 alphabets with any padding: 2xx or 400, never a 5xx', async () => {
  const data = fc.oneof(
    base64ish,
    validOpen.map((p) => Buffer.from(JSON.stringify(p)).toString('base64').replace(/=*$/, '=')),
    validOpen.map((p) => Buffer.from(JSON.stringify(p)).toString('base64').replace(/=*$/, '==')),
  );
  const req = request(jsonBody(data.map((d) => envelope(d)))).map((r) =>
    described({ ...r, path: '/pubsub', auth: 'token', contentType: 0 }),
  );
  await fc.assert(fc.asyncProperty(req, check), fuzzParams(150));
});

test('a valid open notification that is not UTF-8 (one bad byte sequence, or UTF-16): never started', async () => {
  const body = fc.oneof(
    invalidUtf8InString,
    validOpen.map((p) => Buffer.from(JSON.stringify(p), 'utf16le')),
    validOpen.map((p) => Buffer.from(JSON.stringify(p), 'utf16le').swap16()),
  );
  await fc.assert(fc.asyncProperty(request(body), check), fuzzParams(150));
});

test('bodies near and above the limit, declared or chunked: 413 above, no 5xx, alive', async () => {
  const sized = fc
    .tuple(
      validOpen,
      fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom(LIMIT, 3 * LIMIT)),
      fc.boolean(),
    )
    .map(([payload, delta, asJunk]) => {
      const size = LIMIT + delta;
      if (asJunk) return Buffer.alloc(size, 0x7b); // '{{{{…'
      payload.incident.summary = '';
      const base = Buffer.byteLength(JSON.stringify(payload));
      payload.incident.summary = 'x'.repeat(Math.max(0, size - base));
      return Buffer.from(JSON.stringify(payload));
    });
  const bigFraming: fc.Arbitrary<Framing> = fc.oneof(
    fc.constant({ kind: 'length' as const }),
    fc.constantFrom(1024, 16 * 1024).map((chunk) => ({ kind: 'chunked' as const, chunk })),
  );
  await fc.assert(
    fc.asyncProperty(
      request(sized, { framing: bigFraming }).map((r) => described({ ...r, auth: 'token', contentType: 0 })),
      check,
    ),
    fuzzParams(150),
  );
});

test('JSON nested 10 000 deep (arrays and objects, anywhere): no 5xx, alive, started only when valid', async () => {
  const depth = fc.constantFrom(1_000, 10_000);
  const deep = fc
    .tuple(depth, fc.boolean())
    .map(([d, arrays]) => (arrays ? '['.repeat(d) + ']'.repeat(d) : '{"a":'.repeat(d) + '1' + '}'.repeat(d)));
  const body = fc
    .tuple(deep, validOpen, fc.constantFrom('top', 'incident', 'labels', 'incident_id', 'pubsub-data'))
    .map(([nested, p, where]) => {
      const text = JSON.stringify(p);
      switch (where) {
        case 'top':
          return Buffer.from(nested);
        case 'incident':
          return Buffer.from(text.replace('"incident":{', `"incident":{"deep":${nested},`));
        case 'labels':
          return Buffer.from(
            text.replace('"policy_user_labels":{', `"policy_user_labels":{"deep":${nested},`),
          );
        case 'incident_id':
          return Buffer.from(text.replace(/"incident_id":"[^"]*"/, `"incident_id":${nested}`));
        default:
          return Buffer.from(JSON.stringify({ message: { data: Buffer.from(nested).toString('base64') } }));
      }
    });
  await fc.assert(fc.asyncProperty(request(body), check), fuzzParams(150));
});

test('odd, duplicated and contradictory headers, wrong Content-Length: no 5xx, alive, started only when valid', async () => {
  const dupes = fc.array(
    fc.oneof(
      fc.tuple(
        fc.constant('Content-Type'),
        fc.oneof(fc.constantFrom('text/plain', 'application/json'), headerValue),
      ),
      fc.tuple(fc.constant('Authorization'), headerValue),
      fc.tuple(
        fc.constant('Content-Length'),
        fc.constantFrom('0', '-1', '1e3', '0x10', ' 5', '99999999999999999999'),
      ),
      fc.tuple(
        fc.constant('Transfer-Encoding'),
        fc.constantFrom('chunked', 'gzip', 'identity', 'chunked, gzip'),
      ),
      fc.tuple(fc.constant('Expect'), fc.constantFrom('100-continue', 'nothing')),
      fc.tuple(headerName, headerValue),
    ),
    { maxLength: 3 },
  );
  const body = fc.oneof(
    jsonBody(validOpen),
    jsonBody(notificationLike),
    fc.uint8Array({ maxLength: 64 }).map(Buffer.from),
  );
  // Content-Length shorter than the body: the rest reaches Node as a (malformed) next request.
  const wrongLength = fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    fc.integer({ min: 0, max: 2048 }),
  );
  const req = fc
    .tuple(request(body), dupes, wrongLength)
    .map(([r, extra, declared]): FuzzRequest => ({
      ...r,
      headers: [...r.headers, ...extra],
      ...(declared !== undefined && declared < r.body.length
        ? { framing: { kind: 'declared' as const, bytes: declared } }
        : {}),
    }))
    .map(described);
  await fc.assert(
    fc.asyncProperty(req, async (r) => {
      // Duplicated framing headers: Node refuses the request itself (400), or frames it its way.
      const framingHeaders = r.headers.some(([k]) => /^(content-length|transfer-encoding)$/i.test(k));
      if (!framingHeaders) return check(r);
      const before = logs.length;
      const answer = await sendRaw(receiver.port, encodeRequest(r), true);
      assert.ok(answer.status === undefined || answer.status < 500, answer.raw);
      await healthy(receiver.url);
      noFivexxLogged(before);
      const verdict = startVerdict(r.path, r.body);
      if (answer.status === undefined && isAuthorized(r) && isJsonType(r) && verdict.start !== 'must-not') {
        for (const id of verdict.workflowIds) unanswered.add(id);
      }
      if (answer.json?.outcome === 'accepted') {
        // Node framed the body its own way: whatever it passed on was a valid open notification.
        for (const t of (answer.json.targets ?? []) as { workflowId: string }[]) started.add(t.workflowId);
        assert.ok(isAuthorized(r) && isJsonType(r), answer.raw);
      }
    }),
    fuzzParams(200),
  );
});

test('a body shorter than its Content-Length (the client hangs up): never a 5xx, sent or logged', async () => {
  const body = fc.oneof(jsonBody(validOpen), fc.uint8Array({ minLength: 1, maxLength: 64 }).map(Buffer.from));
  const req = fc
    .tuple(request(body), fc.integer({ min: 1, max: LIMIT }))
    .map(([r, missing]): FuzzRequest => ({
      ...r,
      framing: { kind: 'declared', bytes: r.body.length + missing },
    }))
    .map(described);
  await fc.assert(fc.asyncProperty(req, check), fuzzParams(150));
});

test('Temporal agrees with the answers: exactly the accepted workflows exist, none of the refused ones', async (t) => {
  // A last valid alert as a sentinel: once visibility lists it, it lists everything started before it.
  const sentinel = alertFixture('lb-5xx-open');
  (sentinel.incident as { resource: { labels: Record<string, string> } }).resource.labels.project_id =
    'fz-sentinel';
  const res = await fetch(`${receiver.url}/alerts?token=${TOKEN}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(sentinel),
  });
  assert.equal(res.status, 200);
  await res.body?.cancel();
  const sentinelId = remediationWorkflowId('fz-sentinel', 'web-bs');
  started.add(sentinelId);
  assert.ok(started.size > 10, `the fuzz started some workflows (${started.size})`);

  const listed = await eventually(
    'visibility to list the sentinel',
    async () => {
      const ids = new Set<string>();
      for await (const w of env.client.workflow.list({ query: `TaskQueue = '${TASK_QUEUE}'` }))
        ids.add(w.workflowId);
      return ids.has(sentinelId) ? ids : undefined;
    },
    30_000,
  );
  assert.deepEqual(
    [...listed].filter((id) => !started.has(id) && !unanswered.has(id)),
    [],
    'no workflow the receiver did not accept',
  );
  assert.deepEqual(
    [...started].filter((id) => !listed.has(id)),
    [],
    'every accepted workflow exists',
  );
  t.diagnostic(
    `${logs.length} requests; ${started.size} workflows accepted and listed; ${refused.size} refused ids checked absent; ${unanswered.size} unanswered`,
  );
  for (const id of refused) {
    if (started.has(id) || unanswered.has(id)) continue;
    try {
      await env.client.workflow.getHandle(id).describe();
      assert.fail(`${id} exists, but every body naming it was refused`);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
});

test('no request of the whole run was logged with a 5xx', () => {
  assert.ok(logs.length > 1000, `every request is logged (${logs.length})`);
  const fivexx = logs.filter((l) => Number(l.status) >= 500);
  assert.deepEqual(
    fivexx.map((l) => `${String(l.status)} ${String(l.reason)}`),
    [],
    'the receiver logged 5xx answers',
  );
  // The oracle's content-type rule and the table agree.
  for (const [i, [, json]] of CONTENT_TYPES.entries()) {
    const r: FuzzRequest = {
      path: '/alerts',
      auth: 'token',
      contentType: i,
      headers: [],
      body: Buffer.alloc(0),
      framing: { kind: 'length' },
    };
    assert.equal(isJsonType(r), json, String(CONTENT_TYPES[i]?.[0]));
  }
});

// ---------------------------------------------------------------------------------------------------
// The request line, against the `lbmedic receiver` process: a crash there ends a process, not the test.

test('request lines of any shape (the lbmedic receiver process): no 5xx, never a crash', async () => {
  const child = spawn(process.execPath, ['bin/lbmedic.mjs', 'receiver', '--port', '0'], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: env.address,
      LBMEDIC_TASK_QUEUE: 'lbmedic-fuzz-targets',
      LBMEDIC_RECEIVER_TOKEN: TOKEN,
      LBMEDIC_RECEIVER_MAX_BODY_BYTES: String(LIMIT),
      // Nothing here needs Google; a closed loopback port if anything tried.
      LBMEDIC_GCP_ENDPOINT: 'http://127.0.0.1:9',
      LBMEDIC_SCOPE: 'fz-*',
    },
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const bound = setTimeout(() => child.kill('SIGKILL'), 120_000);
  try {
    const url = await eventually(
      'the receiver to listen',
      async () => /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out)?.[1],
      30_000,
    );
    const port = Number(new URL(url).port);
    const method = fc.constantFrom(
      'GET',
      'POST',
      'POST',
      'PUT',
      'DELETE',
      'PATCH',
      'HEAD',
      'OPTIONS',
      'TRACE',
      'PROPFIND',
      'SEARCH',
      'PURGE',
      'FOO',
      'get',
    );
    const target = fc.oneof(
      fc.constantFrom(
        '/alerts',
        `/alerts?token=${TOKEN}`,
        `/pubsub?token=${TOKEN}&token=x`,
        '/healthz',
        '/healthz?x=%zz',
        '/',
        '*',
        '//[',
        '//a:99999/alerts',
        'http://[::1/alerts',
        'http://%zz/alerts',
        `http://127.0.0.1/alerts?token=${TOKEN}`,
        '/alerts?token=%E0%A4%A',
        '/%00',
        '/alerts#fragment',
        '/..%2f..%2fetc%2fpasswd',
        `/${'a'.repeat(8000)}`,
      ),
      fc.stringMatching(/^\/[\x21-\x7e]{0,30}$/),
      fc.stringMatching(/^\/\/[\x21-\x7e]{0,20}$/),
      fc.stringMatching(/^https?:\/\/[\x21-\x7e]{0,20}$/),
      fc.webPath(),
    );
    await fc.assert(
      fc.asyncProperty(method, target, async (m, t) => {
        const request = `${m} ${t} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`;
        const answer = await sendRaw(port, Buffer.from(request, 'latin1'));
        assert.ok(answer.status === undefined || answer.status < 500, `${m} ${t}: ${answer.raw}`);
        const alive = await fetch(`${url}/healthz`).then(
          async (res) => (await res.text(), res.status === 200),
          () => false,
        );
        assert.ok(alive, `the receiver process died on ${JSON.stringify(`${m} ${t}`)}:\n${out.slice(-1500)}`);
      }),
      // A crash fails every later run too: report the request that caused it, unshrunk.
      { ...fuzzParams(200), endOnFailure: true },
    );
    assert.doesNotMatch(out, /"status":5\d\d/, 'no 5xx logged');
  } finally {
    child.kill('SIGTERM');
    await exited;
    clearTimeout(bound);
  }
});

// ---------------------------------------------------------------------------------------------------
// Invalid policies and configuration never start a worker.

/** Runs `lbmedic worker` on the dev server with `extraEnv`; resolves with its exit code and output. */
async function runWorker(taskQueue: string, extraEnv: Record<string, string>) {
  const child = spawn(process.execPath, ['bin/lbmedic.mjs', 'worker'], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: env.address,
      LBMEDIC_PROJECT: 'fz-project',
      LBMEDIC_GCP_ENDPOINT: 'http://127.0.0.1:9',
      LBMEDIC_TASK_QUEUE: taskQueue,
      ...extraEnv,
    },
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  // Bounded: a worker that did start would run until killed.
  const bound = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(bound);
  return { code, out };
}

/** Workers polling a task queue, workflow and activity sides (the server's view). */
async function pollers(taskQueue: string): Promise<string[]> {
  const identities: string[] = [];
  for (const taskQueueType of [1, 2]) {
    const res = await env.client.workflowService.describeTaskQueue({
      namespace: 'default',
      taskQueue: { name: taskQueue },
      taskQueueType,
    });
    identities.push(...(res.pollers ?? []).map((p) => p.identity ?? '?'));
  }
  return identities;
}

test('invalid policies or configuration: lbmedic worker exits non-zero naming the problem, and never polls', async () => {
  const dir = policyDir(
    { 'health-check-mismatch.yaml': [['port: fromDiagnosis', 'port: 70000']] },
    { 'broken.yaml': 'name: broken\nmatch: [unclosed\n' },
  );
  const cases: { what: string; env: Record<string, string>; names: RegExp[] }[] = [
    {
      what: 'a broken policy folder',
      env: { LBMEDIC_POLICY_DIR: dir },
      names: [/health-check-mismatch\.yaml:\d+:\d+ action\.port: /, /broken\.yaml:\d+:\d+ .*YAML/],
    },
    {
      what: 'LBMEDIC_GCP_TIMEOUT_MS=-1',
      env: { LBMEDIC_GCP_TIMEOUT_MS: '-1' },
      names: [/LBMEDIC_GCP_TIMEOUT_MS: /],
    },
    {
      what: 'LBMEDIC_GCP_TIMEOUT_MS=abc',
      env: { LBMEDIC_GCP_TIMEOUT_MS: 'abc' },
      names: [/LBMEDIC_GCP_TIMEOUT_MS: /],
    },
    {
      what: 'two bad variables at once',
      env: { LBMEDIC_NOTIFY_TIMEOUT_MS: '5', TEMPORAL_TLS: 'maybe' },
      names: [/LBMEDIC_NOTIFY_TIMEOUT_MS: /, /TEMPORAL_TLS: /],
    },
  ];
  try {
    const runs = await Promise.all(
      cases.map(async (c, i) => ({
        c,
        queue: `lbmedic-fuzz-refused-${i}`,
        ...(await runWorker(`lbmedic-fuzz-refused-${i}`, c.env)),
      })),
    );
    for (const { c, queue, code, out } of runs) {
      assert.notEqual(code, 0, `${c.what}: non-zero exit\n${out}`);
      assert.notEqual(code, null, `${c.what}: exited by itself\n${out}`);
      for (const name of c.names) assert.match(out, name, `${c.what}: the message names it\n${out}`);
      assert.doesNotMatch(out, /lbmedic worker on /, `${c.what}: the worker never started`);
      assert.deepEqual(await pollers(queue), [], `${c.what}: nothing ever polled ${queue}`);
    }
  } finally {
    removeDir(dir);
  }

  // The check can see a poller: a long poll from this client shows up in the same answer.
  const control = 'lbmedic-fuzz-control';
  const abort = new AbortController();
  const poll = env.client.connection
    .withAbortSignal(abort.signal, () =>
      env.client.connection.withDeadline(Date.now() + 60_000, () =>
        env.client.workflowService.pollWorkflowTaskQueue({
          namespace: 'default',
          taskQueue: { name: control },
          identity: 'fuzz-control-poller',
        }),
      ),
    )
    .catch(() => undefined);
  try {
    const seen = await eventually('the control poller to be listed', async () => {
      const ids = await pollers(control);
      return ids.includes('fuzz-control-poller') ? ids : undefined;
    });
    assert.ok(seen.length > 0);
  } finally {
    abort.abort();
    await poll;
  }
});
