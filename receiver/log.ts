/**
 * The receiver's log: one JSON line per request, except failed authentications, which are counted
 * and written once per interval (an attacker's guesses must not flood the log or hide the rest).
 *
 * No credential reaches it in any form: the request line logs only a known route (never the raw
 * path, which may carry `;token=…` or a token as a segment, nor the query, nor a header), and every
 * line passes a filter that replaces each configured secret, as sent, percent-encoded or in base64
 * (a basic-auth header), with `[redacted]` before it is written (docs/safety.md, "Deployment").
 */
import type { ReceiverCredentials } from './auth';

/** How often failed authentications are summed up in one line, by default. */
export const DEFAULT_AUTH_FAILURE_LOG_INTERVAL_MS = 60_000;
/** Remote addresses named in one summary line; the count covers all of them. */
const MAX_REMOTES = 10;
/** Remote addresses counted one by one per interval; more are counted together (memory stays bounded). */
const MAX_TRACKED_REMOTES = 1_000;
const REDACTED = '[redacted]';

/** Every form in which a configured secret could appear in a request or an error message. */
export function secretForms(creds: ReceiverCredentials): string[] {
  const raw = [
    creds.token,
    creds.basic?.password,
    creds.basic && `${creds.basic.username}:${creds.basic.password}`,
  ];
  const forms = raw
    .filter((s): s is string => typeof s === 'string' && s !== '')
    .flatMap((s) => [s, encodeURIComponent(s), Buffer.from(s, 'utf8').toString('base64')]);
  // Longest first, so a secret inside a longer form is replaced as a whole.
  return [...new Set(forms)].sort((a, b) => b.length - a.length);
}

/** A function that replaces every form of every configured secret in a text. */
export function redactor(creds: ReceiverCredentials): (text: string) => string {
  const forms = secretForms(creds);
  return (text) => forms.reduce((t, f) => t.split(f).join(REDACTED), text);
}

/** `value` with every string in it (keys included) passed through `redact`. */
function redactDeep(value: unknown, redact: (s: string) => string): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, redact));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [redact(k), redactDeep(v, redact)]));
  }
  return value;
}

export interface RequestLog {
  /** One request's line. */
  request(entry: Record<string, unknown>): void;
  /** A failed authentication from `remote`: counted, written with the others at the interval's end. */
  authFailure(remote: string | undefined): void;
  /** Writes what is counted and stops the interval. */
  close(): void;
}

/** The receiver's log over `write` (one entry at a time), with failed authentications summed. */
export function requestLog(opts: {
  write: (entry: Record<string, unknown>) => void;
  credentials: ReceiverCredentials;
  intervalMs?: number;
  now?: () => Date;
}): RequestLog {
  const redact = redactor(opts.credentials);
  const now = opts.now ?? (() => new Date());
  const write = (entry: Record<string, unknown>) =>
    opts.write(redactDeep(entry, redact) as Record<string, unknown>);
  let count = 0;
  let since = now();
  let remotes = new Map<string, number>();
  const flush = () => {
    if (count === 0) return;
    const top = [...remotes.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    write({
      time: now().toISOString(),
      msg: 'authentication failures',
      count,
      since: since.toISOString(),
      remotes: Object.fromEntries(top.slice(0, MAX_REMOTES)),
      ...(top.length > MAX_REMOTES ? { otherRemotes: top.length - MAX_REMOTES } : {}),
    });
    count = 0;
    remotes = new Map();
  };
  const timer = setInterval(() => {
    flush();
    since = now();
  }, opts.intervalMs ?? DEFAULT_AUTH_FAILURE_LOG_INTERVAL_MS);
  timer.unref();
  return {
    request: write,
    authFailure(remote) {
      if (count === 0) since = now();
      count += 1;
      const seen = remote !== undefined && (remotes.has(remote) || remotes.size < MAX_TRACKED_REMOTES);
      const key = seen ? remote : 'other';
      remotes.set(key, (remotes.get(key) ?? 0) + 1);
    },
    close() {
      clearInterval(timer);
      flush();
    },
  };
}
