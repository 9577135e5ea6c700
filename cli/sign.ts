/**
 * Signing a decision payload as `ssh-keygen -Y sign -n lbmedic` would: with a key file (`--key`), or
 * with a key held by ssh-agent (`SSH_AUTH_SOCK`). The key is the one registered for the approver, so
 * the workflow can tell who signed; a passphrase-protected key file is handed to `ssh-keygen` itself,
 * which asks for the passphrase.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { SIGNATURE_NAMESPACE } from '../core/approval-payload';
import type { PlanSigner } from '../core/plan';
import { bytesOf, parsePublicKey } from '../core/ssh-wire';
import { armor, fingerprint, signedData } from '../activities/sshsig';
import { UsageError } from './flags';
import { agentKeys, agentSign } from './ssh-agent';
import { readPrivateKey } from './ssh-key-file';

/** A key chosen to sign with: its fingerprint, whose it is (if registered), and how to sign. */
export interface ChosenKey {
  fingerprint: string;
  /** The approver this key is registered to for the plan, if any. */
  owner?: string;
  sign(payload: string): Promise<string>;
}

const ownerOf = (blob: Uint8Array, signers: PlanSigner[]) =>
  signers.find((s) => s.keys.some((k) => Buffer.from(parsePublicKey(k.key).blob).equals(blob)))?.name;

/** The SSHSIG armor over `payload`, from a raw SSH signer. */
async function sshsig(
  publicBlob: Uint8Array,
  payload: string,
  rawSign: (data: Uint8Array) => Promise<Uint8Array> | Uint8Array,
): Promise<string> {
  const data = signedData(SIGNATURE_NAMESPACE, 'sha512', bytesOf(payload));
  return armor({
    keyBlob: publicBlob,
    namespace: SIGNATURE_NAMESPACE,
    hash: 'sha512',
    signature: await rawSign(data),
  });
}

/** `ssh-keygen -Y sign` on a key file lbmedic does not decrypt (it asks for the passphrase itself). */
function sshKeygenSign(file: string, payload: string): string {
  const run = spawnSync('ssh-keygen', ['-Y', 'sign', '-n', SIGNATURE_NAMESPACE, '-f', file], {
    input: payload,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  if (run.error) throw new Error(`cannot run ssh-keygen to sign with ${file}: ${run.error.message}`);
  if (run.status !== 0) throw new Error(`ssh-keygen -Y sign with ${file} failed (exit ${run.status})`);
  return run.stdout;
}

/** The key in `file` (an OpenSSH private key). */
export function fileKey(file: string, signers: PlanSigner[]): ChosenKey {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --key ${file}: ${(err as Error).message}`);
  }
  const key = readPrivateKey(text);
  const owner = ownerOf(key.publicBlob, signers);
  return {
    fingerprint: fingerprint(key.publicBlob),
    ...(owner ? { owner } : {}),
    sign: (payload) =>
      'encrypted' in key
        ? Promise.resolve(sshKeygenSign(file, payload))
        : sshsig(key.publicBlob, payload, (data) => key.sign(data)),
  };
}

/**
 * The agent's key registered for this plan (to `as`, when given). Throws saying what the agent holds
 * when none of its keys is registered.
 */
export async function agentKey(socket: string, signers: PlanSigner[], as?: string): Promise<ChosenKey> {
  const keys = await agentKeys(socket);
  const mine = keys
    .map((k) => ({ k, owner: ownerOf(k.blob, signers) }))
    .filter((x) => x.owner && (!as || x.owner === as));
  const chosen = mine[0];
  if (!chosen) {
    const held = keys.map((k) => `${fingerprint(k.blob)} ${k.comment}`).join(', ') || 'no keys';
    const wanted = signers
      .filter((s) => !as || s.name === as)
      .map((s) => `${s.name}: ${s.keys.map((k) => fingerprint(parsePublicKey(k.key).blob)).join(' ')}`)
      .join('; ');
    throw new UsageError(
      `none of the keys in ssh-agent (${held}) is registered for ${as ?? "this plan's approvers"} (${wanted || 'nobody'}); ssh-add your key, or give --key FILE`,
    );
  }
  return {
    fingerprint: fingerprint(chosen.k.blob),
    owner: chosen.owner!,
    sign: (payload) => sshsig(chosen.k.blob, payload, (data) => agentSign(socket, chosen.k.blob, data)),
  };
}
