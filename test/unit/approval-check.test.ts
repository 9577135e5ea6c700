/**
 * The decision payload and the verdict on a decision (activities/approvals.ts), without a server: one
 * row per reason a decision is refused, each with real keys and real signatures, and what an open
 * policy still asks for.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { checkDecision, type CheckInput } from '../../activities/approvals';
import { formatPayload, parsePayload, type DecisionPayload } from '../../core/approval-payload';
import type { ApprovalRequest } from '../../core/model';
import { signedRequest, sshKeygen, sshKeygenSign, type TestKey } from '../helpers/approvers';

const NOW = Date.parse('2026-11-30T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const PLAN = `sha256:${'a'.repeat(64)}`;
const here = { workflow: 'lbmedic/p/web-bs', run: 'run-1', plan: PLAN };

let alice: TestKey;
let aliceOld: TestKey;
let bob: TestKey;
let mallory: TestKey;
let input: (request: ApprovalRequest) => CheckInput;

before(() => {
  alice = sshKeygen('alice@example.com');
  aliceOld = sshKeygen('alice@example.com', 'rsa');
  bob = sshKeygen('bob@example.com', 'ecdsa');
  mallory = sshKeygen('mallory@example.com');
  const signers = [
    {
      name: 'alice@example.com',
      keys: [
        { key: aliceOld.publicKey, notAfter: iso(NOW - 3_600_000) },
        { key: alice.publicKey, notBefore: iso(NOW - 86_400_000) },
      ],
    },
    { name: 'bob@example.com', keys: [{ key: bob.publicKey, notBefore: iso(NOW + 3_600_000) }] },
  ];
  input = (request) => ({
    request,
    decision: 'approve',
    expect: here,
    approval: { authentication: 'signed', signers, ttlSec: 600 },
    now: iso(NOW),
  });
});

const fresh = { issued: iso(NOW - 60_000), expires: iso(NOW + 600_000) };

test('the payload: one line per field, in order; anything else is refused with where', () => {
  const p: DecisionPayload = {
    ...here,
    decision: 'approve',
    approver: 'alice@example.com',
    reason: '',
    issued: fresh.issued,
    expires: fresh.expires,
  };
  const text = formatPayload(p);
  assert.equal(
    text,
    `lbmedic-decision-v1\nworkflow: lbmedic/p/web-bs\nrun: run-1\nplan: ${PLAN}\ndecision: approve\napprover: alice@example.com\nreason:\nissued: ${fresh.issued}\nexpires: ${fresh.expires}\n`,
  );
  assert.deepEqual(parsePayload(text), p);
  assert.deepEqual(parsePayload(text.trimEnd()), p, 'the last newline is optional');
  assert.match(String(parsePayload(text.replace('run:', 'ran:'))), /^line 3 must be "run: …"/);
  assert.match(String(parsePayload(`${text}extra: 1\n`)), /has 9 fields/);
  assert.match(
    String(parsePayload(text.replace('approve\n', 'maybe\n'))),
    /decision must be approve or reject/,
  );
  assert.match(
    String(parsePayload(text.replace(PLAN, 'sha256:abc'))),
    /plan must be sha256: and 64 hex digits/,
  );
  assert.match(String(parsePayload(text.replace(fresh.expires, 'tomorrow'))), /expires must be a UTC time/);
  assert.throws(() => formatPayload({ ...p, reason: 'two\nlines' }), /reason must be one line/);
});

test('every reason a decision is refused, table-style, with real signatures', async () => {
  const alices = (f: Partial<DecisionPayload> = {}) => signedRequest(alice, { ...here, ...fresh, ...f });
  const good = await alices({ reason: 'looked at it' });
  const rows: { name: string; request: ApprovalRequest; refusal: RegExp }[] = [
    { name: 'unsigned', request: { approver: 'alice@example.com' }, refusal: /^unsigned: / },
    { name: 'no signature', request: { payload: good.payload }, refusal: /^unsigned: / },
    {
      name: 'not a payload',
      request: { payload: 'approve please', signature: good.signature },
      refusal: /^malformed: the payload: the payload must start with the line lbmedic-decision-v1/,
    },
    {
      name: 'not a signature',
      request: { payload: good.payload, signature: 'trust me' },
      refusal: /^malformed: the signature: an SSH signature starts with/,
    },
    {
      name: 'unknown key',
      request: await signedRequest(mallory, { ...here, ...fresh, approver: 'alice@example.com' }),
      refusal:
        /^unknown key: SHA256:\S+ is not a key of this plan's approvers \(alice@example\.com, bob@example\.com\)/,
    },
    {
      name: 'bad signature',
      request: {
        payload: good.payload.replace('looked at it', 'looked at it twice'),
        signature: good.signature,
      },
      refusal:
        /^bad signature: the signature does not match the payload \(key SHA256:\S+ of alice@example\.com\)/,
    },
    {
      name: "another approver's name",
      request: await alices({ approver: 'bob@example.com' }),
      refusal: /^wrong approver: key SHA256:\S+ is alice@example\.com's, not bob@example\.com's/,
    },
    {
      name: 'rotated out',
      request: await signedRequest(aliceOld, { ...here, ...fresh }),
      refusal:
        /^key not valid: SHA256:\S+ of alice@example\.com counted until 2026-11-30T11:00:00\.000Z \(rotated out\)/,
    },
    {
      name: 'not valid yet',
      request: await signedRequest(bob, { ...here, ...fresh }),
      refusal: /^key not valid: SHA256:\S+ of bob@example\.com counts from 2026-11-30T13:00:00\.000Z/,
    },
    {
      name: 'a rejection sent as an approval',
      request: await alices({ decision: 'reject' }),
      refusal: /^wrong decision: the payload decides reject, sent as approve/,
    },
    {
      name: 'another remediation',
      request: await alices({ workflow: 'lbmedic/p/api-bs' }),
      refusal: /^wrong workflow: signed for lbmedic\/p\/api-bs, this is lbmedic\/p\/web-bs/,
    },
    {
      name: 'another run',
      request: await alices({ run: 'run-0' }),
      refusal: /^wrong run: signed for run run-0, this remediation is run run-1/,
    },
    {
      name: 'another plan',
      request: await alices({ plan: `sha256:${'b'.repeat(64)}` }),
      refusal: /^wrong plan hash: signed sha256:b{64}, the plan waiting is sha256:a{64}/,
    },
    {
      name: 'past its expiry',
      request: await alices({ issued: iso(NOW - 7_200_000), expires: iso(NOW - 60_000) }),
      refusal: /^expired: the signature expired at 2026-11-30T11:59:00\.000Z/,
    },
    {
      name: 'older than approvalTtl',
      request: await alices({ issued: iso(NOW - 900_000), expires: iso(NOW + 900_000) }),
      refusal: /^expired: issued 2026-11-30T11:45:00\.000Z, older than the policy's approvalTtl \(600s\)/,
    },
    {
      name: 'from the future',
      request: await alices({ issued: iso(NOW + 3_600_000), expires: iso(NOW + 7_200_000) }),
      refusal: /^expired: issued 2026-11-30T13:00:00\.000Z, in the future/,
    },
  ];
  for (const r of rows) {
    const v = checkDecision(input(r.request));
    assert.ok(!v.ok, `${r.name}: accepted`);
    assert.match(v.refusal, r.refusal, r.name);
  }
  const ok = checkDecision(input(good));
  assert.deepEqual(ok, {
    ok: true,
    approver: 'alice@example.com',
    reason: 'looked at it',
    key: alice.fingerprint,
    payload: good.payload,
    signature: good.signature,
    issued: fresh.issued,
    expires: fresh.expires,
  });
  // ssh-keygen's own signature of the same payload counts the same.
  assert.equal(
    checkDecision(input({ payload: good.payload, signature: sshKeygenSign(alice, good.payload) })).ok,
    true,
  );
});

test('an open policy takes approvals on trust, but they must name the plan', () => {
  const open = (request: ApprovalRequest): CheckInput => ({
    ...input(request),
    approval: { authentication: 'open', signers: [] },
  });
  assert.deepEqual(checkDecision(open({ approver: 'carol', planHash: PLAN, reason: 'ok' })), {
    ok: true,
    approver: 'carol',
    reason: 'ok',
  });
  const noHash = checkDecision(open({ approver: 'carol' }));
  assert.ok(!noHash.ok);
  assert.match(noHash.refusal, /^wrong plan hash: name the plan you approve \(planHash sha256:a{64}\)/);
  const other = checkDecision(open({ approver: 'carol', planHash: `sha256:${'c'.repeat(64)}` }));
  assert.ok(!other.ok);
  assert.match(other.refusal, /^wrong plan hash: approved sha256:c{64}, the plan waiting is/);
});
