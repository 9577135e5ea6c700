/**
 * The receiver's authentication, as Cloud Monitoring's webhook channels offer it: a token in the
 * endpoint URL (`webhook_tokenauth`, `?token=...`) or HTTP basic auth (`webhook_basicauth`). A request
 * is authenticated when any configured method matches. Secrets are compared in constant time: both
 * sides are hashed to equal-length SHA-256 digests, then `timingSafeEqual`, so neither the content nor
 * the length of a secret leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export interface ReceiverCredentials {
  /** Expected `?token=` value. */
  token?: string;
  basic?: { username: string; password: string };
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time string equality (through equal-length digests). */
export function secretEquals(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** `Authorization: Basic base64(user:password)` → its parts, or undefined. */
function basicCredentials(header: string | undefined): { username: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function hasCredentials(creds: ReceiverCredentials): boolean {
  return creds.token !== undefined || creds.basic !== undefined;
}

/** True when the request carries a configured credential. */
export function authenticate(
  creds: ReceiverCredentials,
  query: URLSearchParams,
  authorization: string | undefined,
): boolean {
  let ok = false;
  if (creds.token !== undefined) {
    const given = query.get('token');
    if (given !== null && secretEquals(given, creds.token)) ok = true;
  }
  if (creds.basic !== undefined) {
    const given = basicCredentials(authorization);
    if (given) {
      // Both comparisons run whatever the first answers, so a right user name is not told apart.
      const user = secretEquals(given.username, creds.basic.username);
      const password = secretEquals(given.password, creds.basic.password);
      if (user && password) ok = true;
    }
  }
  return ok;
}
