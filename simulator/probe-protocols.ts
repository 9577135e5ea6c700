/**
 * One health-check probe, spoken in the health check's protocol (gcp-facts §1):
 * - TCP: the connection opens; SSL: the TLS handshake completes. With `response` set, the first bytes
 *   the backend sends must contain it (the simulated apps send nothing unasked, so such a check fails).
 * - HTTP: a plain HTTP/1.1 GET; HTTPS: the same over TLS; HTTP2: a GET over TLS with ALPN h2. They pass
 *   only on 200 within `timeoutSec`, with `response` (if set) in the first 1,024 bytes of the body.
 * - GRPC: not modelled (the apps serve no gRPC health service), so it fails.
 * Google's probers validate no certificate ("Certificates and health checks",
 * https://cloud.google.com/load-balancing/docs/health-check-concepts), so none is verified here.
 */
import { request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { connect as http2Connect } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { HealthCheck } from './model';
import { SIMULATED_LATENCY_HEADER } from './apps';

const USER_AGENT = 'GoogleHC/1.0'; // unverified (gcp-facts §2): seen in community configs

export type DetailedState = 'HEALTHY' | 'UNHEALTHY' | 'TIMEOUT';

export interface ProbeResult {
  ok: boolean;
  detailed: DetailedState;
  text: string;
  connectLatencyMs?: number;
  responseLatencyMs?: number;
}

/** Sends one probe of `hc`'s type to ip:port; never rejects. */
export function sendProbe(
  hc: HealthCheck,
  ip: string,
  port: number,
  timeoutMs: number,
): Promise<ProbeResult> {
  switch (hc.type) {
    case 'HTTP':
    case 'HTTPS':
      return httpProbe(hc, ip, port, timeoutMs);
    case 'HTTP2':
      return http2Probe(hc, ip, port, timeoutMs);
    case 'TCP':
    case 'SSL':
      return streamProbe(hc, ip, port, timeoutMs);
    default:
      return Promise.resolve({
        ok: false,
        detailed: 'UNHEALTHY',
        text: `${hc.type} probe failed: the simulated apps serve no gRPC health service`,
      });
  }
}

/** Settles once: the first outcome wins, and the timer and the connection are cleaned up. */
function settleOnce(timeoutMs: number, onTimeout: () => ProbeResult, cleanup: () => void) {
  let settled = false;
  let resolveOuter: (r: ProbeResult) => void = () => undefined;
  const done = new Promise<ProbeResult>((resolve) => (resolveOuter = resolve));
  const finish = (result: ProbeResult): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    cleanup();
    resolveOuter(result);
  };
  const timer = setTimeout(() => finish(onTimeout()), timeoutMs);
  return { done, finish };
}

function connectError(error: NodeJS.ErrnoException, what: string): ProbeResult {
  if (error.code === 'ECONNREFUSED') return { ok: false, detailed: 'UNHEALTHY', text: 'Connection refused' };
  return { ok: false, detailed: 'UNHEALTHY', text: `${what} failed: ${error.code ?? error.message}` };
}

/** TCP and SSL: the connection (and handshake) succeeds; with `response`, the backend must send it. */
function streamProbe(hc: HealthCheck, ip: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  const tls = hc.type === 'SSL';
  const expected = hc.details.response;
  let connectLatencyMs: number | undefined;
  const socket: Socket = tls
    ? tlsConnect({ host: ip, port, rejectUnauthorized: false })
    : netConnect({ host: ip, port });
  const { done, finish } = settleOnce(
    timeoutMs,
    () => ({
      ok: false,
      detailed: 'TIMEOUT',
      text:
        connectLatencyMs === undefined
          ? 'Timeout waiting for connect'
          : `Timeout waiting for response "${expected ?? ''}"`,
      ...(connectLatencyMs === undefined ? {} : { connectLatencyMs }),
    }),
    () => socket.destroy(),
  );
  socket.once(tls ? 'secureConnect' : 'connect', () => {
    connectLatencyMs = performance.now() - started;
    if (expected === undefined) {
      finish({
        ok: true,
        detailed: 'HEALTHY',
        text: tls ? 'SSL handshake succeeded' : 'TCP connection succeeded',
        connectLatencyMs,
      });
    }
  });
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
    if (expected !== undefined && received.includes(expected))
      finish({ ok: true, detailed: 'HEALTHY', text: `Response contained "${expected}"`, connectLatencyMs });
  });
  socket.once('error', (error: NodeJS.ErrnoException) =>
    finish(connectError(error, tls ? 'SSL handshake' : 'TCP connection')),
  );
  return done;
}

/** Judges a complete HTTP answer: 200 in time, with the expected text if any (gcp-facts §1). */
function judge(
  hc: HealthCheck,
  status: number,
  headers: IncomingHttpHeaders | Record<string, unknown>,
  body: Buffer,
  responseLatencyMs: number,
): ProbeResult {
  // The app states its simulated latency: judging the timeout on it keeps a busy test machine
  // (slow real scheduling) from failing probes, while slow simulated apps still time out.
  const simulatedMs = Number(headers[SIMULATED_LATENCY_HEADER] ?? 0);
  const first = body.subarray(0, 1024).toString('latin1');
  if (simulatedMs > hc.timeoutSec * 1000)
    return { ok: false, detailed: 'TIMEOUT', text: 'Timeout waiting for response', responseLatencyMs };
  if (status !== 200)
    return {
      ok: false,
      detailed: 'UNHEALTHY',
      text: `HTTP response: ${status}, Error: Probe failed`,
      responseLatencyMs,
    };
  if (hc.details.response !== undefined && !first.includes(hc.details.response))
    return {
      ok: false,
      detailed: 'UNHEALTHY',
      text: `HTTP response: 200, Error: Response did not contain "${hc.details.response}"`,
      responseLatencyMs,
    };
  return { ok: true, detailed: 'HEALTHY', text: 'HTTP response: 200, Success', responseLatencyMs };
}

/** HTTP and HTTPS (HTTP/1.1): a GET on the request path. */
function httpProbe(hc: HealthCheck, ip: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  let connectLatencyMs: number | undefined;
  const path = hc.details.requestPath ?? '/';
  // Empty host: the API reference says the Host header is the probe's destination IP (gcp-facts §1).
  const host = hc.details.host ?? `${ip}:${port}`;
  const options = {
    host: ip,
    port,
    path,
    method: 'GET',
    agent: false as const,
    headers: { 'user-agent': USER_AGENT, connection: 'close', host },
  };
  const req =
    hc.type === 'HTTPS' ? httpsRequest({ ...options, rejectUnauthorized: false }) : httpRequest(options);
  const { done, finish } = settleOnce(
    timeoutMs,
    () => ({ ok: false, detailed: 'TIMEOUT', text: 'Timeout waiting for response' }),
    () => req.destroy(),
  );
  req.once('socket', (socket) =>
    socket.once(hc.type === 'HTTPS' ? 'secureConnect' : 'connect', () => {
      connectLatencyMs = performance.now() - started;
    }),
  );
  req.once('error', (error: NodeJS.ErrnoException) => finish(connectError(error, `${hc.type} probe`)));
  req.once('response', (res) => {
    const chunks: Buffer[] = [];
    let length = 0;
    res.on('data', (chunk: Buffer) => {
      if (length < 1024) chunks.push(chunk);
      length += chunk.length;
    });
    res.once('error', () => finish({ ok: false, detailed: 'UNHEALTHY', text: 'HTTP response truncated' }));
    res.once('end', () => {
      const result = judge(
        hc,
        res.statusCode ?? 0,
        res.headers,
        Buffer.concat(chunks),
        performance.now() - started,
      );
      finish(connectLatencyMs === undefined ? result : { ...result, connectLatencyMs });
    });
  });
  req.end();
  return done;
}

/** HTTP2: TLS with ALPN h2 (a backend that cannot negotiate h2 fails), then a GET on the path. */
function http2Probe(hc: HealthCheck, ip: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  let connectLatencyMs: number | undefined;
  const session = http2Connect(`https://${ip}:${port}`, { rejectUnauthorized: false });
  const { done, finish } = settleOnce(
    timeoutMs,
    () => ({ ok: false, detailed: 'TIMEOUT', text: 'Timeout waiting for response' }),
    () => session.destroy(),
  );
  session.once('connect', () => (connectLatencyMs = performance.now() - started));
  session.once('error', (error: NodeJS.ErrnoException) => finish(connectError(error, 'HTTP2 probe')));
  const stream = session.request({
    ':path': hc.details.requestPath ?? '/',
    ':authority': hc.details.host ?? `${ip}:${port}`,
    'user-agent': USER_AGENT,
  });
  stream.once('error', (error: NodeJS.ErrnoException) => finish(connectError(error, 'HTTP2 probe')));
  stream.once('response', (headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () => {
      const result = judge(
        hc,
        Number(headers[':status'] ?? 0),
        headers,
        Buffer.concat(chunks),
        performance.now() - started,
      );
      finish(connectLatencyMs === undefined ? result : { ...result, connectLatencyMs });
    });
  });
  stream.end();
  return done;
}
