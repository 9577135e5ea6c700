/**
 * OpenSSH signatures (`ssh-keygen -Y sign`), as PROTOCOL.sshsig in openssh-portable defines them:
 *
 *   armored:     -----BEGIN SSH SIGNATURE----- / base64 of the blob, 70 columns / -----END SSH SIGNATURE-----
 *   blob:        "SSHSIG" ‖ uint32 1 ‖ string publickey ‖ string namespace ‖ string reserved
 *                ‖ string hash_algorithm ‖ string signature
 *   signed data: "SSHSIG" ‖ string namespace ‖ string reserved ‖ string hash_algorithm ‖ string H(message)
 *
 * The signature itself is an SSH signature blob (string algorithm ‖ string bytes). Node's crypto does
 * the arithmetic (Ed25519, ECDSA P-256, RSA PKCS#1 v1.5); the formats are read here, so a signature
 * made by ssh-keygen, by an ssh-agent or by lbmedic verifies the same way.
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import {
  bytesOf,
  fromBase64,
  readKeyBlob,
  toBase64,
  WireReader,
  WireWriter,
  type SshKeyType,
} from '../core/ssh-wire';

const MAGIC = bytesOf('SSHSIG');
const BEGIN = '-----BEGIN SSH SIGNATURE-----';
const END = '-----END SSH SIGNATURE-----';
export type SigHash = 'sha256' | 'sha512';

/** An SSHSIG blob, read. */
export interface SshSig {
  keyBlob: Uint8Array;
  keyType: SshKeyType;
  namespace: string;
  hash: SigHash;
  /** The SSH signature blob: string algorithm ‖ string bytes. */
  signature: Uint8Array;
}

/** `SHA256:` and the unpadded base64 SHA-256 of the key blob, as `ssh-keygen -l` prints it. */
export function fingerprint(keyBlob: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** Reads an armored signature; throws an Error saying what is malformed. */
export function parseArmored(armored: string): SshSig {
  if (typeof armored !== 'string') throw new Error('the signature is not text');
  const lines = armored.trim().split(/\r?\n/);
  if (lines[0] !== BEGIN || lines.at(-1) !== END)
    throw new Error(`an SSH signature starts with ${BEGIN} and ends with ${END}`);
  let blob: Uint8Array;
  try {
    blob = fromBase64(lines.slice(1, -1).join(''));
  } catch {
    throw new Error('the signature is not valid base64');
  }
  const r = new WireReader(blob);
  if (!equal(r.raw(6, 'magic'), MAGIC)) throw new Error('not an SSHSIG signature');
  const version = r.uint32('version');
  if (version !== 1) throw new Error(`SSHSIG version ${version} is not supported`);
  const keyBlob = r.bytes('public key');
  const keyType = readKeyBlob(keyBlob);
  const namespace = r.string('namespace');
  r.bytes('reserved');
  const hash = r.string('hash algorithm');
  if (hash !== 'sha256' && hash !== 'sha512') throw new Error(`hash algorithm ${hash} is not supported`);
  const signature = r.bytes('signature');
  r.end('signature');
  return { keyBlob, keyType, namespace, hash, signature };
}

/** What the key signs: the message's hash wrapped with the namespace (PROTOCOL.sshsig). */
export function signedData(namespace: string, hash: SigHash, message: Uint8Array): Uint8Array {
  const digest = createHash(hash).update(message).digest();
  return new WireWriter().raw(MAGIC).string(namespace).string('').string(hash).bytes(digest).done();
}

/** The armored signature, as `ssh-keygen -Y sign` writes it. */
export function armor(sig: Omit<SshSig, 'keyType'>): string {
  const blob = new WireWriter()
    .raw(MAGIC)
    .uint32(1)
    .bytes(sig.keyBlob)
    .string(sig.namespace)
    .string('')
    .string(sig.hash)
    .bytes(sig.signature)
    .done();
  const b64 = toBase64(blob);
  const lines = b64.match(/.{1,70}/g) ?? [];
  return `${BEGIN}\n${lines.join('\n')}\n${END}\n`;
}

const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');
const unsigned = (b: Uint8Array) => (b[0] === 0 ? b.subarray(1) : b);

/** Node's key object for an SSH public key blob. */
export function publicKeyObject(keyBlob: Uint8Array): KeyObject {
  const r = new WireReader(keyBlob);
  const type = r.string('key type');
  if (type === 'ssh-ed25519') {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(r.bytes('key')) }, format: 'jwk' });
  }
  if (type === 'ecdsa-sha2-nistp256') {
    r.string('curve');
    const q = r.bytes('point');
    return createPublicKey({
      key: { kty: 'EC', crv: 'P-256', x: b64url(q.subarray(1, 33)), y: b64url(q.subarray(33)) },
      format: 'jwk',
    });
  }
  const e = r.bytes('exponent');
  const n = r.bytes('modulus');
  return createPublicKey({
    key: { kty: 'RSA', n: b64url(unsigned(n)), e: b64url(unsigned(e)) },
    format: 'jwk',
  });
}

/** The signature algorithms each key type may sign with (never ssh-rsa: that is SHA-1). */
const ALGORITHMS: Record<SshKeyType, Record<string, string | null>> = {
  'ssh-ed25519': { 'ssh-ed25519': null },
  'ecdsa-sha2-nistp256': { 'ecdsa-sha2-nistp256': 'sha256' },
  'ssh-rsa': { 'rsa-sha2-512': 'sha512', 'rsa-sha2-256': 'sha256' },
};

/** An ECDSA signature's (mpint r, mpint s) as the 64 bytes IEEE P1363 wants. */
function p1363(sig: Uint8Array): Uint8Array {
  const r = new WireReader(sig);
  const out = new Uint8Array(64);
  for (const [i, what] of ['r', 's'].entries()) {
    const v = unsigned(r.bytes(`ecdsa ${what}`));
    if (v.length > 32) throw new Error(`ecdsa ${what} is too long`);
    out.set(v, i * 32 + 32 - v.length);
  }
  r.end('ecdsa signature');
  return out;
}

/**
 * Checks an SSHSIG over `message`: the namespace, then the signature with the key the blob carries.
 * Returns why it does not verify, or undefined when it does. Whether the key is one lbmedic trusts
 * is the caller's question.
 */
export function signatureProblem(sig: SshSig, namespace: string, message: Uint8Array): string | undefined {
  if (sig.namespace !== namespace)
    return `signed for namespace "${sig.namespace}", not "${namespace}" (ssh-keygen -Y sign -n ${namespace})`;
  const r = new WireReader(sig.signature);
  const algorithm = r.string('signature algorithm');
  const bytes = r.bytes('signature');
  r.end('signature');
  const allowed = ALGORITHMS[sig.keyType];
  if (!(algorithm in allowed))
    return `a ${sig.keyType} key cannot sign with ${algorithm}; expected ${Object.keys(allowed).join(' or ')}`;
  const key = publicKeyObject(sig.keyBlob);
  const data = signedData(sig.namespace, sig.hash, message);
  const ok =
    sig.keyType === 'ecdsa-sha2-nistp256'
      ? verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, p1363(bytes))
      : verify(allowed[algorithm] ?? null, data, key, bytes);
  return ok ? undefined : 'the signature does not match the payload';
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
