/**
 * Approvers for tests: real keys made by this machine's `ssh-keygen`, the approvers files that
 * register them, payloads signed the way a person would (`ssh-keygen -Y sign`, or lbmedic's own
 * signer), and the shipped policies loaded with a registered approver (the shipped backend-timeout
 * policy is manual, and a manual policy needs approvers with keys).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatPayload, type DecisionPayload } from '../../core/approval-payload';
import { parsePublicKey } from '../../core/ssh-wire';
import { fingerprint } from '../../activities/sshsig';
import { fileKey } from '../../cli/sign';
import type { PolicySet } from '../../policies/schema';
import { DEFAULT_POLICY_DIR, loadPolicies } from '../../runtime/policy-loader';

/** The registered approver of the shipped policies in tests (public key only: nobody signs with it). */
export const FIXTURE_APPROVERS = fileURLToPath(new URL('../fixtures/approvers.yaml', import.meta.url));

/** The shipped policies, as a worker with an approvers file loads them. */
export function shippedPolicies(): PolicySet {
  return loadPolicies(DEFAULT_POLICY_DIR, { approverFiles: [FIXTURE_APPROVERS] });
}

export interface TestKey {
  name: string;
  /** The private key file, as ssh-keygen wrote it. */
  file: string;
  /** The public key line. */
  publicKey: string;
  fingerprint: string;
}

/** A new key pair made by ssh-keygen in a temporary folder. */
export function sshKeygen(name: string, type: 'ed25519' | 'ecdsa' | 'rsa' = 'ed25519'): TestKey {
  const dir = mkdtempSync(join(tmpdir(), 'lbmedic-key-'));
  const file = join(dir, `id_${type}`);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', name, '-f', file]);
  const publicKey = readFileSync(`${file}.pub`, 'utf8').trim();
  return { name, file, publicKey, fingerprint: fingerprint(parsePublicKey(publicKey).blob) };
}

/** An approvers file's text registering `approvers` (keys with optional validity windows). */
export function approversYaml(
  approvers: { name: string; keys: (string | { key: string; notBefore?: string; notAfter?: string })[] }[],
): string {
  const lines = ['approvers:'];
  for (const a of approvers) {
    lines.push(`  - name: ${a.name}`, '    keys:');
    for (const k of a.keys) {
      if (typeof k === 'string') lines.push(`      - ${k}`);
      else {
        lines.push(`      - key: ${k.key}`);
        if (k.notBefore) lines.push(`        notBefore: ${k.notBefore}`);
        if (k.notAfter) lines.push(`        notAfter: ${k.notAfter}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The signature `ssh-keygen -Y sign -n lbmedic` makes of `text` with `key`. */
export function sshKeygenSign(key: TestKey, text: string, namespace = 'lbmedic'): string {
  return execFileSync('ssh-keygen', ['-Y', 'sign', '-n', namespace, '-f', key.file], {
    input: text,
    stdio: ['pipe', 'pipe', 'ignore'],
  }).toString();
}

/** A signed approve (or reject) request, the payload made with `fields` and signed by lbmedic's signer. */
export async function signedRequest(
  key: TestKey,
  fields: Omit<DecisionPayload, 'issued' | 'expires' | 'decision' | 'approver' | 'reason'> &
    Partial<DecisionPayload>,
): Promise<{ payload: string; signature: string }> {
  const issued = fields.issued ?? new Date().toISOString();
  const payload = formatPayload({
    decision: 'approve',
    approver: key.name,
    reason: '',
    expires: new Date(Date.parse(issued) + 15 * 60_000).toISOString(),
    ...fields,
    issued,
  });
  return { payload, signature: await fileKey(key.file, []).sign(payload) };
}

/** Writes `text` to a new temporary file and returns its path. */
export function tempFile(name: string, text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'lbmedic-')), name);
  writeFileSync(file, text);
  return file;
}

/** A real ssh-agent of this test (`ssh-agent -D`), holding `keys`; stop it when done. */
export async function startAgent(...keys: TestKey[]): Promise<{ socket: string; stop(): void }> {
  const socket = join(mkdtempSync(join(tmpdir(), 'lbmedic-agent-')), 'agent.sock');
  const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 50));
  if (!existsSync(socket)) {
    agent.kill();
    throw new Error('ssh-agent did not create its socket');
  }
  for (const k of keys) {
    execFileSync('ssh-add', ['-q', k.file], {
      env: { ...process.env, SSH_AUTH_SOCK: socket },
      stdio: 'ignore',
    });
  }
  return { socket, stop: () => agent.kill() };
}
