/**
 * The simulated apps' TLS identity: one self-signed certificate (ECDSA P-256, SHA-256), made when the
 * first TLS app starts and kept for the process. Google's health checkers and load balancers accept
 * any certificate a backend presents and validate none (gcp-facts §1, "Certificates and health
 * checks"; backend authenticated TLS is opt-in), so a self-signed one is what many real backends use.
 *
 * Node can sign but not build X.509 certificates, so the DER is assembled here: a v1 certificate
 * (no extensions) whose subject and issuer are `CN=lbmedic-sim`, valid from a day ago for a year.
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';

export interface TlsIdentity {
  /** PEM certificate. */
  cert: string;
  /** PEM PKCS#8 private key. */
  key: string;
}

/** A DER length: short form below 128, else 0x80 | byte count followed by the bytes. */
function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), length(content.length), content]);
}

const sequence = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));

function oid(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [first * 40 + second];
  for (const arc of rest) {
    const chunk: number[] = [];
    for (let v = arc; ; v = Math.floor(v / 128)) {
      chunk.unshift((v % 128) | (chunk.length > 0 ? 0x80 : 0));
      if (v < 128) break;
    }
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** UTCTime `YYMMDDHHMMSSZ` (valid for years 1950–2049). */
function utcTime(date: Date): Buffer {
  const text = date.toISOString().replace(/[-:T]/g, '').slice(2, 14);
  return tlv(0x17, Buffer.from(`${text}Z`, 'ascii'));
}

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const COMMON_NAME = '2.5.4.3';
const DAY_MS = 24 * 3600 * 1000;

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Builds a fresh self-signed certificate and its key. */
export function selfSignedIdentity(commonName = 'lbmedic-sim', now = new Date()): TlsIdentity {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const name = sequence(set(sequence(oid(COMMON_NAME), tlv(0x0c, Buffer.from(commonName, 'utf8')))));
  const algorithm = sequence(oid(ECDSA_WITH_SHA256));
  // A positive serial: clear the top bit of the first byte.
  const serial = randomBytes(12);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const tbs = sequence(
    tlv(0x02, serial),
    algorithm,
    name,
    sequence(utcTime(new Date(now.getTime() - DAY_MS)), utcTime(new Date(now.getTime() + 365 * DAY_MS))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' });
  // BIT STRING: a leading 0 says no unused bits.
  const certificate = sequence(tbs, algorithm, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  return {
    cert: pem('CERTIFICATE', certificate),
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

let shared: TlsIdentity | undefined;

/** The process's one simulated-app identity (made on first use). */
export function appTlsIdentity(): TlsIdentity {
  shared ??= selfSignedIdentity();
  return shared;
}
