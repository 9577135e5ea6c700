/**
 * The SSH wire encoding (RFC 4251 §5: uint32, string, mpint) and OpenSSH public key lines
 * (`ssh-ed25519 AAAA… alice@example.com`), pure: the policy schema checks approvers' keys with it and
 * the signature code (activities/sshsig.ts) reads and writes signatures with it. No Node built-ins:
 * bytes are Uint8Array and base64 goes through the `atob`/`btoa` globals.
 */

/** The key types lbmedic verifies signatures of (PROTOCOL.sshsig allows any; these are the common three). */
export const SSH_KEY_TYPES = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ssh-rsa'] as const;
export type SshKeyType = (typeof SSH_KEY_TYPES)[number];

const text = new TextEncoder();
const utf8 = new TextDecoder('utf-8', { fatal: true });

export const bytesOf = (s: string): Uint8Array => text.encode(s);

/** Reads SSH wire values in order; throws a plain Error naming what was short or malformed. */
export class WireReader {
  private at = 0;
  constructor(private readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.at === this.buf.length;
  }

  raw(n: number, what: string): Uint8Array {
    if (this.at + n > this.buf.length) throw new Error(`${what}: truncated`);
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  uint32(what: string): number {
    const b = this.raw(4, what);
    return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  }

  bytes(what: string): Uint8Array {
    return this.raw(this.uint32(what), what);
  }

  string(what: string): string {
    try {
      return utf8.decode(this.bytes(what));
    } catch (err) {
      if (err instanceof TypeError) throw new Error(`${what}: not UTF-8`);
      throw err;
    }
  }

  /** Everything not read yet must be nothing: trailing bytes mean a malformed or spliced blob. */
  end(what: string): void {
    if (!this.done) throw new Error(`${what}: ${this.buf.length - this.at} unexpected trailing bytes`);
  }
}

/** Writes SSH wire values. */
export class WireWriter {
  private readonly parts: Uint8Array[] = [];

  raw(b: Uint8Array): this {
    this.parts.push(b);
    return this;
  }

  uint32(n: number): this {
    return this.raw(new Uint8Array([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]));
  }

  bytes(b: Uint8Array): this {
    return this.uint32(b.length).raw(b);
  }

  string(s: string): this {
    return this.bytes(bytesOf(s));
  }

  done(): Uint8Array {
    const out = new Uint8Array(this.parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

export function fromBase64(b64: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) throw new Error('not base64');
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function toBase64(b: Uint8Array): string {
  let bin = '';
  for (const x of b) bin += String.fromCharCode(x);
  return btoa(bin);
}

/** An OpenSSH public key, read from its one-line form. */
export interface SshPublicKey {
  type: SshKeyType;
  /** The wire blob (what fingerprints and signatures name). */
  blob: Uint8Array;
  comment: string;
}

/** The fields of a key blob, checked: the type named inside matches and the sizes are right. */
export function readKeyBlob(blob: Uint8Array, expected?: string): SshPublicKey['type'] {
  const r = new WireReader(blob);
  const type = r.string('key type');
  if (expected !== undefined && type !== expected)
    throw new Error(`the key says ${expected} outside and ${type} inside`);
  if (type === 'ssh-ed25519') {
    if (r.bytes('ed25519 key').length !== 32) throw new Error('an ed25519 key is 32 bytes');
  } else if (type === 'ecdsa-sha2-nistp256') {
    if (r.string('curve') !== 'nistp256') throw new Error('an ecdsa-sha2-nistp256 key names curve nistp256');
    const q = r.bytes('ecdsa point');
    if (q.length !== 65 || q[0] !== 4) throw new Error('a nistp256 point is 65 bytes, uncompressed');
  } else if (type === 'ssh-rsa') {
    r.bytes('rsa exponent');
    const n = r.bytes('rsa modulus');
    // 2048 bits at least (OpenSSH's own minimum is 1024; NIST retired those long ago).
    if (n.length - (n[0] === 0 ? 1 : 0) < 256) throw new Error('an RSA key must have at least 2048 bits');
  } else {
    throw new Error(`key type ${type} is not supported; use ${SSH_KEY_TYPES.join(', ')}`);
  }
  r.end('key');
  return type;
}

/** Parses `TYPE BASE64 [COMMENT]`; throws an Error saying what is wrong with it. */
export function parsePublicKey(line: string): SshPublicKey {
  const m = /^\s*(\S+)\s+(\S+)(?:\s+(.*?))?\s*$/.exec(line);
  if (!m)
    throw new Error('expected an OpenSSH public key: TYPE BASE64 [COMMENT], e.g. ssh-ed25519 AAAAC3… alice');
  const [, type, b64, comment] = m;
  if (!(SSH_KEY_TYPES as readonly string[]).includes(type!))
    throw new Error(`key type ${type} is not supported; use ${SSH_KEY_TYPES.join(', ')}`);
  let blob: Uint8Array;
  try {
    blob = fromBase64(b64!);
  } catch {
    throw new Error('the key is not valid base64');
  }
  readKeyBlob(blob, type);
  return { type: type as SshKeyType, blob, comment: comment ?? '' };
}
