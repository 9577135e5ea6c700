/**
 * The simulator's HTTP server: the REST subset of Compute (`/compute/v1/...`), Logging (`/v2/...`)
 * and Monitoring (`/v3/...`) that lbmedic calls, so that the unmodified `@google-cloud/*` clients in
 * REST mode (`apiEndpoint: '127.0.0.1', port, protocol: 'http', fallback: true`) talk to it, plus the
 * control API under `/_sim/` (routes-control.ts). It listens on loopback only.
 *
 * Every request: body read with a size limit → injected request faults (delay, error) → route →
 * handler → JSON answer; any error is rendered once, in the service's Google error form.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiService } from './errors';
import { ApiError, errorBody, faultError, invalid, toApiError } from './errors';
import { FaultStore } from './faults';
import { OperationStore } from './operations';
import { RequestLog } from './request-log';
import type { CompiledRoute, RouteContext } from './router';
import { compileRoutes, matchTemplate } from './router';
import { computeRoutes } from './routes-compute';
import { controlRoutes } from './routes-control';
import { firewallPolicyRoutes } from './routes-firewall-policies';
import { loggingRoutes } from './routes-logging';
import { monitoringRoutes } from './routes-monitoring';
import { negRoutes } from './routes-negs';
import { regionalRoutes } from './routes-regional';
import type { World } from './world';

export interface SimulatorServerOptions {
  world: World;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** A loopback address; anything else is refused. */
  host?: string;
  /** Simulated milliseconds from a Compute mutation to its operation's DONE (default 2000). */
  operationDelaySimMs?: number;
  /** Longest an `operations.wait` call blocks, in real milliseconds (default 2000). */
  waitTimeoutMs?: number;
  /** Largest accepted request body (default 1 MiB). */
  bodyLimitBytes?: number;
  /** Requests kept for `GET /_sim/requests` (default 2000). */
  requestLogSize?: number;
}

export interface SimulatorServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  port: number;
  /** Injected faults, also reachable through `/_sim/faults`. */
  faults: FaultStore;
  /** The API requests answered so far, also reachable through `/_sim/requests`. */
  requests: RequestLog;
  /** Stop listening, drop connections, release pending operation waits and timers. */
  close(): Promise<void>;
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/;

function serviceOf(path: string): ApiService | undefined {
  if (path.startsWith('/compute/v1/')) return 'compute';
  if (path.startsWith('/v2/')) return 'logging';
  if (path.startsWith('/v3/')) return 'monitoring';
  if (path.startsWith('/_sim/')) return 'control';
  return undefined;
}

class PayloadTooLarge extends ApiError {
  constructor(limit: number) {
    super(413, `Request payload size exceeds the limit: ${limit} bytes.`, 'payloadTooLarge');
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(new PayloadTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', (err) => {
      if (!failed) reject(err);
      failed = true;
    });
  });
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw invalid(`Invalid JSON payload received. ${err instanceof Error ? err.message : String(err)}`);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body ?? {});
  res.writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Start the simulator's HTTP server for a World. */
export async function startSimulatorServer(opts: SimulatorServerOptions): Promise<SimulatorServer> {
  const host = opts.host ?? '127.0.0.1';
  if (!LOOPBACK.test(host)) throw new Error(`the simulator listens on loopback only, not on ${host}`);
  const world = opts.world;
  const bodyLimit = opts.bodyLimitBytes ?? 1024 * 1024;
  const operationDelay = opts.operationDelaySimMs ?? 2000;
  const ops = new OperationStore({
    delayMs: () => world.scaled(operationDelay),
    waitTimeoutMs: opts.waitTimeoutMs ?? 2000,
  });
  const faults = new FaultStore();
  const requests = new RequestLog(opts.requestLogSize);
  // Every Google API route; `GET /_sim/routes` lists them for the conformance test.
  const apiRoutes = [
    ...computeRoutes,
    ...regionalRoutes,
    ...negRoutes,
    ...firewallPolicyRoutes,
    ...loggingRoutes,
    ...monitoringRoutes,
  ];
  const served = apiRoutes.map(({ method, template }) => ({
    service: serviceOf(template) ?? 'unknown',
    method,
    template,
  }));
  const routes: CompiledRoute[] = compileRoutes([...apiRoutes, ...controlRoutes(requests, served)]);
  const delays = new Set<() => void>();
  let closing = false;

  /** A fault's slow answer; cut short when the server closes. */
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        delays.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      delays.add(done);
    });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    const rawPath = url.pathname;
    const service = serviceOf(rawPath);
    let status = 200;
    let faultId: string | undefined;
    try {
      let segments: string[];
      try {
        segments = rawPath.split('/').filter(Boolean).map(decodeURIComponent);
      } catch {
        throw invalid(`Malformed URL path: ${rawPath}`);
      }
      const path = `/${segments.join('/')}`;
      const text = await readBody(req, bodyLimit);
      if (service === undefined) {
        throw new ApiError(404, `The requested URL ${rawPath} was not found on this server.`, 'notFound');
      }
      if (service !== 'control') {
        const fault = faults.take({ service, method, path }, 'request');
        if (fault) {
          faultId = fault.id;
          if (fault.delayMs) await sleep(fault.delayMs);
          if (fault.status !== undefined) throw faultError(fault.status);
        }
      }
      let params: Record<string, string> | undefined;
      let route: CompiledRoute | undefined;
      for (const candidate of routes) {
        if (candidate.method !== method) continue;
        params = matchTemplate(candidate, segments);
        if (params) {
          route = candidate;
          break;
        }
      }
      if (!route || !params) {
        throw new ApiError(
          404,
          `The requested URL ${method} ${rawPath} was not found on this server.`,
          'notFound',
        );
      }
      const ctx: RouteContext = {
        world,
        ops,
        faults,
        service,
        method,
        path,
        params,
        query: url.searchParams,
        body: method === 'GET' || method === 'DELETE' ? undefined : parseJson(text),
      };
      // Compute mutations carry an optional `requestId` (a UUID): a retry with the same id gets the
      // original operation back and is not applied again (the API's documented idempotency key).
      const requestId = service === 'compute' && method !== 'GET' ? url.searchParams.get('requestId') : null;
      const previous = requestId ? ops.byRequestId(params['project'] ?? '', requestId) : undefined;
      const answer = previous ?? (await route.handler(ctx));
      if (requestId && !previous && isOperation(answer))
        ops.rememberRequestId(params['project'] ?? '', requestId, answer);
      send(res, 200, answer);
    } catch (err) {
      const apiError = toApiError(err);
      status = apiError.httpStatus;
      send(res, status, errorBody(apiError, service ?? 'compute'));
    } finally {
      if (service !== 'control') {
        requests.add({
          service: service ?? 'unknown',
          method,
          path: rawPath,
          query: url.search,
          status,
          ...(faultId === undefined ? {} : { faultId }),
        });
      }
    }
  }

  const server = createServer((req, res) => {
    if (closing) {
      send(res, 503, errorBody(new ApiError(503, 'The simulator is shutting down.'), 'control'));
      return;
    }
    handle(req, res).catch((err: unknown) => {
      // handle() answers every error itself; this only guards against a failure while answering.
      if (!res.headersSent) send(res, 500, errorBody(toApiError(err), 'compute'));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}`,
    port,
    faults,
    requests,
    async close() {
      if (closing) return;
      closing = true;
      ops.close();
      for (const done of [...delays]) done();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Give in-flight answers (released waits and delays) a moment, then cut what is left.
        setTimeout(() => server.closeAllConnections(), 100).unref();
      });
    },
  };
}

function isOperation(value: unknown): value is { name: string; kind: string } {
  return (
    typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'compute#operation'
  );
}
