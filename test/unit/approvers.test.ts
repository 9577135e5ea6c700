/**
 * Approvers with keys, as the loader checks them across files: the approvers file, approvers defined
 * in a policy, validity windows, one key per person; and the rule that nothing is open by default: a
 * manual policy whose approvers have no keys is refused (the real `lbmedic worker` and `lbmedic
 * policies validate` refuse to start, saying what to add) unless it says `authentication: open`, and
 * then every plan says so.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { classify } from '../../core/classify';
import { buildPlan } from '../../core/plan';
import { renderPlan } from '../../core/plan-render';
import {
  DEFAULT_POLICY_DIR,
  loadConfiguredPolicies,
  loadPolicies,
  PolicyError,
} from '../../runtime/policy-loader';
import { approversYaml, sshKeygen } from '../helpers/approvers';
import { evidence, good } from '../helpers/evidence-fixture';
import { runLbmedic } from '../helpers/lbmedic';
import { policyDir } from '../helpers/stack';

const manual = (approval: string) =>
  `name: p\nmatch:\n  causes: [HEALTH_CHECK_MISMATCH]\naction:\n  type: patchHealthCheck\napproval:\n  mode: manual\n${approval}`;

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'lbmedic-approvers-'));
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  return dir;
}

function problems(dir: string, approverFiles: string[] = []): string {
  try {
    loadPolicies(dir, { approverFiles });
  } catch (err) {
    assert.ok(err instanceof PolicyError, String(err));
    return err.message;
  }
  return 'no error';
}

test('the shipped policies without approvers: refused, pointing at the manual policy and saying what to add', () => {
  assert.match(
    problems(DEFAULT_POLICY_DIR),
    /backend-timeout\.yaml:\d+:\d+ approval\.mode: a manual policy needs approvers with keys, and none is registered: list the approver with an OpenSSH public key in approvers\.yaml beside the policies \(docs\/approvals\.md\), or say approval\.authentication: open/,
  );
});

test('the real worker and policies validate refuse to start on it, before touching Temporal', async () => {
  const dir = policyDir();
  try {
    const env = {
      ...process.env,
      LBMEDIC_PROJECT: 'demo-project',
      LBMEDIC_SCOPE: 'demo-project',
      LBMEDIC_POLICY_DIR: dir,
      TEMPORAL_ADDRESS: '127.0.0.1:1',
    };
    for (const args of [['worker'], ['policies', 'validate']]) {
      const run = await runLbmedic(args, { env });
      assert.equal(run.code, 1, run.stdout + run.stderr);
      assert.match(
        run.stderr,
        /backend-timeout\.yaml:\d+:\d+ approval\.mode: a manual policy needs approvers with keys/,
      );
    }
    // With an approvers file (LBMEDIC_APPROVERS_FILE), the same folder validates.
    const alice = sshKeygen('alice@example.com');
    const file = join(dir, '..', `approvers-${process.pid}.yaml`);
    writeFileSync(file, approversYaml([{ name: alice.name, keys: [alice.publicKey] }]));
    const ok = await runLbmedic(['policies', 'validate'], { env: { ...env, LBMEDIC_APPROVERS_FILE: file } });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /1 approver with keys: alice@example\.com/);
    rmSync(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('approvers named without keys are refused; with keys (a file, or in place) they load', () => {
  const alice = sshKeygen('alice@example.com');
  const bob = sshKeygen('bob@example.com', 'ecdsa');
  const named = folder({ 'p.yaml': manual('  approvers: [alice@example.com, bob@example.com]\n') });
  try {
    assert.match(
      problems(named),
      /p\.yaml:8:\d+ approval\.approvers\[0\]: approver alice@example\.com has no key/,
    );
    assert.match(problems(named), /approval\.approvers\[1\]: approver bob@example\.com has no key/);
    writeFileSync(
      join(named, 'approvers.yaml'),
      approversYaml([{ name: alice.name, keys: [alice.publicKey] }]),
    );
    assert.match(problems(named), /approver bob@example\.com has no key/);
    writeFileSync(
      join(named, 'p.yaml'),
      manual(
        `  approvers:\n    - alice@example.com\n    - name: bob@example.com\n      keys: [${bob.publicKey}]\n`,
      ),
    );
    const set = loadPolicies(named);
    assert.deepEqual(
      set.approvers.map((a) => a.name),
      ['alice@example.com', 'bob@example.com'],
    );
    // LBMEDIC_APPROVERS_FILE adds to the folder's own.
    const carol = sshKeygen('carol@example.com');
    const extra = join(named, '..', `extra-${process.pid}.yaml`);
    writeFileSync(extra, approversYaml([{ name: carol.name, keys: [carol.publicKey] }]));
    const withExtra = loadConfiguredPolicies({ policyDir: named, approversFile: extra });
    assert.deepEqual(
      withExtra.approvers.map((a) => a.name),
      ['alice@example.com', 'carol@example.com', 'bob@example.com'],
    );
    rmSync(extra);
  } finally {
    rmSync(named, { recursive: true, force: true });
  }
});

test('approvers files: each key checked where it is written; one name once, one key one person; windows in order', () => {
  const alice = sshKeygen('alice@example.com');
  const dir = folder({
    'p.yaml': manual(''),
    'approvers.yaml': [
      'approvers:',
      '  - name: alice@example.com',
      '    keys:',
      '      - ssh-dss AAAAB3NzaC1kc3MAAACBAP alice',
      '  - name: bob@example.com',
      '    keys: []',
      '  - name: carol@example.com',
      '    keys:',
      `      - key: ${alice.publicKey}`,
      '        notBefore: 2027-01-01',
      '        notAfter: 2026-01-01',
      '',
    ].join('\n'),
  });
  try {
    const text = problems(dir);
    assert.match(
      text,
      /approvers\.yaml:4:\d+ approvers\[0\]\.keys\[0\]\.key: key type ssh-dss is not supported; use ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa/,
    );
    assert.match(text, /approvers\.yaml:6:\d+ approvers\[1\]\.keys: add at least one OpenSSH public key/);
    assert.match(
      text,
      /approvers\.yaml:11:\d+ approvers\[2\]\.keys\[0\]\.notAfter: notBefore must be before notAfter/,
    );
    writeFileSync(
      join(dir, 'approvers.yaml'),
      approversYaml([
        { name: 'alice@example.com', keys: [alice.publicKey] },
        { name: 'mallory@example.com', keys: [alice.publicKey] },
        { name: 'alice@example.com', keys: [sshKeygen('x').publicKey] },
      ]),
    );
    const twice = problems(dir);
    assert.match(
      twice,
      /approvers\.yaml:\d+:\d+ approvers\[1\]\.name: approver mallory@example\.com has a key that is already alice@example\.com's: one key is one person/,
    );
    assert.match(twice, /approvers\[2\]\.name: approver alice@example\.com is defined twice/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('authentication: open is allowed when said explicitly, and every plan says the approval is open', () => {
  const dir = policyDir({
    'backend-timeout.yaml': [['  required: 1\n', '  required: 1\n  authentication: open\n']],
  });
  try {
    const set = loadPolicies(dir);
    assert.deepEqual(set.approvers, []);
    const ev = evidence({ ...good, logs: { backend_timeout: 9 }, latencyMaxMs: 45_000 });
    const plan = buildPlan(ev, classify(ev), set);
    assert.equal(plan.approval.authentication, 'open');
    assert.match(renderPlan(plan), /signatures: {3}OPEN: approvals are not signed/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
