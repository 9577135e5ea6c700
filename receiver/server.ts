/**
 * The alert receiver: an HTTP endpoint for Cloud Monitoring webhook notifications (`POST /alerts`)
 * and Pub/Sub push deliveries (`POST /pubsub`), plus `GET /healthz`.
 *
 * Every request is checked in this order, each failure answered at once and nothing started:
 * route (404/405) → credentials (401) → `Content-Type: application/json` (415) → body size (413) →
 * JSON (400) → schema (400, naming each wrong field). Then {@link intakeNotification} decides, and the
 * receiver answers 2xx only once Temporal accepted the request (see intake.ts).
 *
 * One JSON log line per request (method, path, status, outcome, incident, workflowId, durationMs),
 * except failed authentications, counted and written once per interval (receiver/log.ts). The path
 * logged is a known route or `unknown`, never the path as sent, its query or a header, and every
 * line is filtered for the configured secrets in any form: no token or password is ever logged.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parsePubSubBody, parseWebhookBody, type ParsedNotification } from '../core/alerts';
import { Admissions, sendAdmissions, type GovernorTarget } from './admissions';
import { intakeNotification, RecentlyAccepted, type IntakeOptions, type IntakeResult } from './intake';
import { authenticate, hasCredentials, type ReceiverCredentials } from './auth';
import { DEFAULT_AUTH_FAILURE_LOG_INTERVAL_MS, redactor, requestLog } from './log';

/** Strict UTF-8 (a malformed byte throws). Stateless between calls, so one serves every request. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

export interface ReceiverOptions extends IntakeOptions {
  credentials: ReceiverCredentials;
  /** Default 127.0.0.1: expose it deliberately (a reverse proxy, or 0.0.0.0 in a container). */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  maxBodyBytes?: number;
  /** Where log lines go; default one JSON line on stdout. */
  log?: (entry: Record<string, unknown>) => void;
  /** Failed authentications are summed up in one line this often, ms (default a minute). */
  authFailureLogIntervalMs?: number;
  /** How long `close()` lets requests in flight finish, ms. */
  closeGraceMs?: number;
}

export interface Receiver {
  url: string;
  port: number;
  close(): Promise<void>;
}

export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;

const PARSERS: Record<string, { source: string; parse: (json: unknown) => ParsedNotification }> = {
  '/alerts': { source: 'webhook', parse: parseWebhookBody },
  '/pubsub': { source: 'pubsub', parse: parsePubSubBody },
};

interface Answer extends Partial<Omit<IntakeResult, 'outcome'>> {
  status: number;
  message: string;
  outcome?: IntakeResult['outcome'] | 'rejected';
  headers?: Record<string, string>;
}

class BodyTooLarge extends Error {}

/** 2xx answers that started nothing (or not everything): their line says why. */
const NOT_STARTED = new Set<string>(['unmapped', 'out-of-scope', 'stale', 'queued', 'fleet-limited']);

/** Reads the body up to `limit` bytes; past it, stops reading and throws {@link BodyTooLarge}. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        // Keep draining (and discarding) so the client can read the 413 instead of a reset.
        req.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function isJson(contentType: string | undefined): boolean {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  return mediaType === 'application/json';
}

async function handle(req: IncomingMessage, url: URL, opts: ReceiverOptions, limit: number): Promise<Answer> {
  if (url.pathname === '/healthz') {
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return { status: 405, message: 'use GET', headers: { allow: 'GET, HEAD' } };
    return { status: 200, message: 'ok' };
  }
  const route = PARSERS[url.pathname];
  if (!route) return { status: 404, message: 'not found: POST /alerts or /pubsub, GET /healthz' };
  if (req.method !== 'POST') return { status: 405, message: 'use POST', headers: { allow: 'POST' } };
  if (!authenticate(opts.credentials, url.searchParams, req.headers.authorization)) {
    return {
      status: 401,
      outcome: 'rejected',
      message: 'missing or wrong credentials',
      headers: { 'www-authenticate': 'Basic realm="lbmedic"' },
    };
  }
  if (!isJson(req.headers['content-type'])) {
    return { status: 415, outcome: 'rejected', message: 'Content-Type must be application/json' };
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return { status: 413, outcome: 'rejected', message: `body larger than ${limit} bytes` };
  }
  let body: Buffer;
  try {
    body = await readBody(req, limit);
  } catch (err) {
    if (err instanceof BodyTooLarge)
      return { status: 413, outcome: 'rejected', message: `body larger than ${limit} bytes` };
    // The client hung up mid-body (shorter than its Content-Length) or the stream broke: its fault.
    return {
      status: 400,
      outcome: 'rejected',
      message: `body could not be read: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
  let text: string;
  try {
    // JSON must be UTF-8 (RFC 8259 §8.1); a lenient decode would silently change incident ids.
    text = UTF8.decode(body);
  } catch {
    return { status: 400, outcome: 'rejected', message: 'body is not UTF-8' };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return {
      status: 400,
      outcome: 'rejected',
      message: `body is not JSON: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
  const parsed = route.parse(json);
  if (!parsed.ok) {
    return {
      status: 400,
      outcome: 'rejected',
      message: `not a Cloud Monitoring notification: ${parsed.error}`,
    };
  }
  return intakeNotification(parsed.notification, parsed.test, route.source, opts, new Date().toISOString());
}

function send(res: ServerResponse, answer: Answer): void {
  const body = JSON.stringify({
    status: answer.status,
    ...(answer.outcome ? { outcome: answer.outcome } : {}),
    message: answer.message,
    ...(answer.incidentId ? { incidentId: answer.incidentId } : {}),
    ...(answer.targets ? { targets: answer.targets } : {}),
  });
  res.writeHead(answer.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...answer.headers,
  });
  res.end(body);
}

/** Starts the receiver; resolves once it listens. Refuses to start without credentials. */
/**
 * Lines written once per turn of the event loop, all together: one write per request cost a tenth
 * of the receiver's CPU in an alert storm (a system call each). A line waits at most one turn.
 */
export function batchedLines(write: (chunk: string) => void): { line(text: string): void; flush(): void } {
  let pending: string[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    const chunk = pending.join('');
    pending = [];
    write(chunk);
  };
  return {
    line(text) {
      if (pending.length === 0) setImmediate(flush);
      pending.push(`${text}\n`);
    },
    flush,
  };
}

export async function startReceiver(opts: ReceiverOptions): Promise<Receiver> {
  if (!hasCredentials(opts.credentials)) {
    throw new Error('the receiver needs credentials: a token (?token=) or basic auth, or both');
  }
  const governors: GovernorTarget = {
    client: opts.client,
    governorTaskQueue: opts.governorTaskQueue ?? opts.taskQueue,
    taskQueue: opts.taskQueue,
    timeoutMs: opts.temporalTimeoutMs,
  };
  opts = {
    ...opts,
    inFlight: opts.inFlight ?? new Map(),
    recentlyAccepted: opts.recentlyAccepted ?? new RecentlyAccepted(),
    admissions:
      opts.admissions ?? new Admissions((project, reqs) => sendAdmissions(governors, project, reqs)),
  };
  const limit = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const stdout = opts.log ? undefined : batchedLines((chunk) => process.stdout.write(chunk));
  const requests = requestLog({
    write: opts.log ?? ((entry) => stdout!.line(JSON.stringify(entry))),
    credentials: opts.credentials,
    intervalMs: opts.authFailureLogIntervalMs ?? DEFAULT_AUTH_FAILURE_LOG_INTERVAL_MS,
  });
  const log = requests.request;
  const redact = redactor(opts.credentials);
  const server = createServer((req, res) => {
    const started = Date.now();
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://receiver.invalid');
    } catch {
      // A request line no URL parser accepts (`GET //[`): answer it, never let it end the process.
      req.resume();
      send(res, { status: 400, outcome: 'rejected', message: 'malformed request target' });
      log({
        time: new Date().toISOString(),
        msg: 'request',
        method: req.method,
        status: 400,
        outcome: 'rejected',
      });
      return;
    }
    handle(req, url, opts, limit)
      .catch((err: unknown): Answer => ({
        status: 500,
        message: `internal error: ${err instanceof Error ? err.message : String(err)}`,
      }))
      .then((answer) => {
        send(res, answer);
        if (answer.status === 401) {
          requests.authFailure(req.socket.remoteAddress);
          return;
        }
        log({
          time: new Date().toISOString(),
          msg: 'request',
          method: req.method,
          // The route, never the raw path: `/alerts;token=…` or `/<token>` would carry a secret.
          path:
            Object.hasOwn(PARSERS, url.pathname) || url.pathname === '/healthz' ? url.pathname : 'unknown',
          status: answer.status,
          ...(answer.outcome ? { outcome: answer.outcome } : {}),
          ...(answer.incidentId ? { incident: answer.incidentId } : {}),
          ...(answer.targets ? { workflowId: answer.targets.map((t) => t.workflowId).join(',') } : {}),
          ...(answer.status >= 300 || (answer.outcome && NOT_STARTED.has(answer.outcome))
            ? { reason: answer.message }
            : {}),
          durationMs: Date.now() - started,
        });
      })
      .catch((err: unknown) =>
        console.error(
          `receiver: could not answer a request: ${redact(err instanceof Error ? (err.stack ?? err.message) : String(err))}`,
        ),
      );
  });
  // Bounds a slow or endless upload (a drained oversized body included).
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const grace = setTimeout(() => server.closeAllConnections(), opts.closeGraceMs ?? 5_000);
      await closed;
      clearTimeout(grace);
      requests.close();
      stdout?.flush();
    },
  };
}
