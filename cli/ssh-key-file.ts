/**
 * OpenSSH private key files (`openssh-key-v1`, what `ssh-keygen` writes): read an unencrypted one and
 * sign with it, and write a new Ed25519 one (the demo approver's key). A passphrase-protected key is
 * not decrypted here: the caller hands it to `ssh-keygen -Y sign` (or the approver adds it to
 * ssh-agent).
 */
import { createPrivateKey, generateKeyPairSync, randomInt, sign, type KeyObject } from 'node:crypto';
import { bytesOf, fromBase64, toBase64, WireReader, WireWriter } from '../core/ssh-wire';

const MAGIC = bytesOf('openssh-key-v1\0');
const BEGIN = '-----BEGIN OPENSSH PRIVATE KEY-----';
const END = '-----END OPENSSH PRIVATE KEY-----';

/** A key that can sign: its public blob and a signer returning an SSH signature blob. */
export interface KeySigner {
  publicBlob: Uint8Array;
  comment: string;
  sign(data: Uint8Array): Uint8Array;
}

const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');
const unsigned = (b: Uint8Array) => {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
};
/** An SSH mpint of a big-endian unsigned number. */
function mpint(b: Uint8Array): Uint8Array {
  const v = unsigned(b);
  return v[0]! & 0x80 ? Uint8Array.from([0, ...v]) : v;
}
const big = (b: Uint8Array) => BigInt(`0x${Buffer.from(b).toString('hex') || '0'}`);
function bytesOfBig(n: bigint): Uint8Array {
  const hex = n.toString(16);
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
}
const sigBlob = (alg: string, bytes: Uint8Array) => new WireWriter().string(alg).bytes(bytes).done();

/** The private key's signer, from the key type and the fields the file holds for it. */
function signerFor(
  type: string,
  r: WireReader,
): { key: KeyObject; signBlob: (data: Uint8Array) => Uint8Array } {
  if (type === 'ssh-ed25519') {
    const pub = r.bytes('ed25519 public');
    const priv = r.bytes('ed25519 private');
    const key = createPrivateKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: b64url(pub), d: b64url(priv.subarray(0, 32)) },
      format: 'jwk',
    });
    return { key, signBlob: (data) => sigBlob('ssh-ed25519', sign(null, data, key)) };
  }
  if (type === 'ecdsa-sha2-nistp256') {
    r.string('curve');
    const q = r.bytes('point');
    const d = unsigned(r.bytes('private'));
    const padded = new Uint8Array(32);
    padded.set(d, 32 - d.length);
    const key = createPrivateKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: b64url(q.subarray(1, 33)),
        y: b64url(q.subarray(33)),
        d: b64url(padded),
      },
      format: 'jwk',
    });
    return {
      key,
      signBlob: (data) => {
        const rs = sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' });
        const inner = new WireWriter()
          .bytes(mpint(rs.subarray(0, 32)))
          .bytes(mpint(rs.subarray(32)))
          .done();
        return sigBlob('ecdsa-sha2-nistp256', inner);
      },
    };
  }
  if (type === 'ssh-rsa') {
    const [n, e, d, iqmp, p, q] = ['n', 'e', 'd', 'iqmp', 'p', 'q'].map((f) => unsigned(r.bytes(`rsa ${f}`)));
    const dp = bytesOfBig(big(d!) % (big(p!) - 1n));
    const dq = bytesOfBig(big(d!) % (big(q!) - 1n));
    const jwk = { kty: 'RSA', n: b64url(n!), e: b64url(e!), d: b64url(d!), p: b64url(p!), q: b64url(q!) };
    const key = createPrivateKey({
      key: { ...jwk, dp: b64url(dp), dq: b64url(dq), qi: b64url(iqmp!) },
      format: 'jwk',
    });
    return { key, signBlob: (data) => sigBlob('rsa-sha2-512', sign('sha512', data, key)) };
  }
  throw new Error(`key type ${type} is not supported; use ssh-ed25519, ecdsa-sha2-nistp256 or ssh-rsa`);
}

/**
 * Reads an OpenSSH private key file's text. A passphrase-protected key gives its public key only
 * (`sign` absent); throws when it is not an OpenSSH private key.
 */
export function readPrivateKey(text: string): KeySigner | { publicBlob: Uint8Array; encrypted: true } {
  const lines = text.trim().split(/\r?\n/);
  if (lines[0] !== BEGIN || lines.at(-1) !== END)
    throw new Error(`not an OpenSSH private key (expected ${BEGIN}, as ssh-keygen writes)`);
  const r = new WireReader(fromBase64(lines.slice(1, -1).join('')));
  if (Buffer.compare(r.raw(MAGIC.length, 'magic'), MAGIC) !== 0) throw new Error('not an openssh-key-v1 key');
  const cipher = r.string('cipher');
  r.string('kdf');
  r.bytes('kdf options');
  if (r.uint32('key count') !== 1) throw new Error('a key file with several keys is not supported');
  const publicBlob = r.bytes('public key');
  if (cipher !== 'none') return { publicBlob, encrypted: true };
  const priv = new WireReader(r.bytes('private keys'));
  if (priv.uint32('check') !== priv.uint32('check')) throw new Error('the key file is corrupt');
  const type = priv.string('key type');
  const { signBlob } = signerFor(type, priv);
  const comment = priv.string('comment');
  return { publicBlob, comment, sign: signBlob };
}

/** A new Ed25519 key: the private key file's text (OpenSSH format, unencrypted) and the public line. */
export function newEd25519Key(comment: string): { privateKey: string; publicKey: string } {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const pub = Buffer.from(jwk.x!, 'base64url');
  const seed = Buffer.from(jwk.d!, 'base64url');
  const blob = new WireWriter().string('ssh-ed25519').bytes(pub).done();
  const check = randomInt(2 ** 32);
  const section = new WireWriter()
    .uint32(check)
    .uint32(check)
    .string('ssh-ed25519')
    .bytes(pub)
    .bytes(Buffer.concat([seed, pub]))
    .string(comment);
  let len = section.done().length;
  for (let pad = 1; len % 8 !== 0; pad++, len++) section.raw(Uint8Array.of(pad));
  const file = new WireWriter()
    .raw(MAGIC)
    .string('none')
    .string('none')
    .string('')
    .uint32(1)
    .bytes(blob)
    .bytes(section.done())
    .done();
  const body = toBase64(file).match(/.{1,70}/g) ?? [];
  return {
    privateKey: `${BEGIN}\n${body.join('\n')}\n${END}\n`,
    publicKey: `ssh-ed25519 ${toBase64(blob)} ${comment}`,
  };
}
