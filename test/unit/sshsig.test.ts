/**
 * OpenSSH signatures both ways with this machine's ssh-keygen: what `ssh-keygen -Y sign` makes,
 * lbmedic verifies; what lbmedic signs (from a key file, from ssh-agent), `ssh-keygen -Y verify`
 * accepts. For the three key types lbmedic supports; and what must not verify does not.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { fingerprint, parseArmored, signatureProblem } from '../../activities/sshsig';
import { agentKey, fileKey } from '../../cli/sign';
import { newEd25519Key, readPrivateKey } from '../../cli/ssh-key-file';
import { bytesOf, parsePublicKey } from '../../core/ssh-wire';
import { sshKeygen, sshKeygenSign, startAgent, tempFile, type TestKey } from '../helpers/approvers';

const TYPES = ['ed25519', 'ecdsa', 'rsa'] as const;
const keys = new Map<string, TestKey>();
let agent: Awaited<ReturnType<typeof startAgent>>;

before(async () => {
  for (const t of TYPES) keys.set(t, sshKeygen(`${t}@example.com`, t));
  agent = await startAgent(...keys.values());
});
after(() => agent?.stop());

const message = 'lbmedic-decision-v1\nthe text that is signed\n';
const signers = (k: TestKey) => [{ name: k.name, keys: [{ key: k.publicKey }] }];

/** `ssh-keygen -Y verify` of `signature` over `text` by `key`: its exit code and output. */
function sshKeygenVerify(key: TestKey, text: string, signature: string): { ok: boolean; out: string } {
  const allowed = tempFile(
    'allowed_signers',
    `${key.name} ${key.publicKey.split(' ').slice(0, 2).join(' ')}\n`,
  );
  const sig = tempFile('payload.sig', signature);
  try {
    const out = execFileSync(
      'ssh-keygen',
      ['-Y', 'verify', '-f', allowed, '-I', key.name, '-n', 'lbmedic', '-s', sig],
      { input: text, stdio: ['pipe', 'pipe', 'pipe'] },
    ).toString();
    return { ok: true, out };
  } catch (err) {
    return { ok: false, out: String((err as { stderr?: Buffer }).stderr ?? err) };
  }
}

test('ssh-keygen -Y sign → lbmedic verifies, for ed25519, ecdsa-sha2-nistp256 and rsa-sha2-512', () => {
  for (const t of TYPES) {
    const key = keys.get(t)!;
    const sig = parseArmored(sshKeygenSign(key, message));
    assert.equal(fingerprint(sig.keyBlob), key.fingerprint, t);
    assert.equal(signatureProblem(sig, 'lbmedic', bytesOf(message)), undefined, t);
    assert.equal(
      signatureProblem(sig, 'lbmedic', bytesOf(message.replace('text', 'test'))),
      'the signature does not match the payload',
      t,
    );
  }
  // ssh-keygen -l prints the same fingerprint lbmedic shows.
  const key = keys.get('ed25519')!;
  assert.match(
    execFileSync('ssh-keygen', ['-l', '-f', `${key.file}.pub`]).toString(),
    new RegExp(key.fingerprint.replace(/[+/]/g, '\\$&')),
  );
});

test('lbmedic signs from a key file and from ssh-agent → ssh-keygen -Y verify accepts', async () => {
  for (const t of TYPES) {
    const key = keys.get(t)!;
    const fromFile = await fileKey(key.file, signers(key)).sign(message);
    assert.equal(fileKey(key.file, signers(key)).owner, key.name);
    const v = sshKeygenVerify(key, message, fromFile);
    assert.ok(v.ok, `${t} from the file: ${v.out}`);
    assert.match(v.out, /Good "lbmedic" signature/);
    const chosen = await agentKey(agent.socket, signers(key));
    assert.equal(chosen.fingerprint, key.fingerprint);
    const fromAgent = await chosen.sign(message);
    assert.ok(sshKeygenVerify(key, message, fromAgent).ok, `${t} from the agent`);
    assert.ok(!sshKeygenVerify(key, `${message}x`, fromAgent).ok, `${t}: another text must not verify`);
  }
});

test('the agent holds no registered key: the error lists what it holds and what is registered', async () => {
  const other = sshKeygen('other@example.com');
  await assert.rejects(
    agentKey(agent.socket, signers(other)),
    /none of the keys in ssh-agent \(SHA256:\S+ ed25519@example\.com, .*\) is registered for this plan's approvers \(other@example\.com: SHA256:/,
  );
});

test('a key made by lbmedic (the demo approver) is an OpenSSH key ssh-keygen reads', () => {
  const made = newEd25519Key('demo@lbmedic-demo');
  const file = tempFile('id_ed25519', made.privateKey);
  execFileSync('chmod', ['600', file]);
  assert.equal(execFileSync('ssh-keygen', ['-y', '-f', file]).toString().trim(), made.publicKey);
  const key: TestKey = {
    name: 'demo@lbmedic-demo',
    file,
    publicKey: made.publicKey,
    fingerprint: fingerprint(parsePublicKey(made.publicKey).blob),
  };
  const sig = parseArmored(sshKeygenSign(key, message));
  assert.equal(signatureProblem(sig, 'lbmedic', bytesOf(message)), undefined);
});

test('a passphrase-protected key is not decrypted by lbmedic: its public key is read, signing goes to ssh-keygen', () => {
  const key = sshKeygen('locked@example.com');
  execFileSync('ssh-keygen', ['-q', '-p', '-P', '', '-N', 'correct horse', '-f', key.file]);
  const read = readPrivateKey(readFileSync(key.file, 'utf8'));
  assert.ok('encrypted' in read);
  assert.equal(fingerprint(read.publicBlob), key.fingerprint);
});

test('malformed signatures and keys say what is wrong', () => {
  const key = keys.get('ed25519')!;
  const armored = sshKeygenSign(key, message);
  assert.throws(() => parseArmored('hello'), /an SSH signature starts with -----BEGIN SSH SIGNATURE-----/);
  const lines = armored.trim().split('\n');
  const cut = [lines[0], lines[1]!.slice(0, 40), lines.at(-1)].join('\n');
  assert.throws(() => parseArmored(cut), /not valid base64|truncated/);
  assert.equal(
    signatureProblem(parseArmored(sshKeygenSign(key, message, 'file')), 'lbmedic', bytesOf(message)),
    'signed for namespace "file", not "lbmedic" (ssh-keygen -Y sign -n lbmedic)',
  );
  assert.throws(() => parsePublicKey('ssh-dss AAAAB3NzaC1kc3MAAACBAP'), /key type ssh-dss is not supported/);
  assert.throws(() => parsePublicKey('ssh-ed25519 AAAA!!'), /not valid base64/);
  const [type, b64] = key.publicKey.split(' ');
  assert.throws(
    () => parsePublicKey(`ecdsa-sha2-nistp256 ${b64}`),
    /the key says ecdsa-sha2-nistp256 outside and ssh-ed25519 inside/,
  );
  assert.equal(parsePublicKey(`${type} ${b64}`).comment, '');
});
