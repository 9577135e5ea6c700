/**
 * The apps on the simulated VMs: a real server per instance on its own loopback address (127.A.B.C),
 * so health checks are real requests. An app speaks plain HTTP/1.1, HTTPS (TLS, HTTP/1.1) or HTTP2
 * (TLS with ALPN h2, HTTP/1.1 for clients that do not offer h2), with the self-signed identity of
 * tls.ts. Only loopback is ever bound or connected to: never private ranges or public addresses.
 *
 * Every app listens through a plain TCP server that sees each connection first: a connection the
 * firewall would not admit (lbmedic's worker, see worker.ts) is held unanswered; the others are handed
 * to the protocol server.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createSecureServer } from 'node:http2';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import type { Server as NetServer, Socket } from 'node:net';
import type { AppSpec, Instance } from './model';
import { formatIPv4, isLoopback } from './ip';
import { appTlsIdentity } from './tls';
import type { ConnectionVerdict } from './worker';

/** Decides whether an app accepts a connection from `source` (its remote address) to `port`. */
export type ConnectionGate = (
  projectId: string,
  instanceName: string,
  source: string | undefined,
  port: number,
) => ConnectionVerdict;

/** The app's own account of how long a response took, in simulated ms (see health.ts). */
export const SIMULATED_LATENCY_HEADER = 'x-simulated-latency-ms';

/**
 * A block is claimed by listening on its .0 address (which no instance gets) on this port; only
 * simulators bind such addresses, so a claim that fails means another simulator owns the block.
 */
const BLOCK_CLAIM_PORT = 65535;
/** How long a dropped connection is held before it is let go (real ms). */
const HELD_SOCKET_MS = 120_000;
const CLAIM_ATTEMPTS = 50;

interface RunningApp {
  /** The TCP listener that sees every connection first. */
  listener: NetServer;
  /** Every open connection, handed over or held. */
  sockets: Set<Socket>;
  pending: Set<NodeJS.Timeout>;
}

type Protocol = { emit(event: 'connection', socket: Socket): boolean };

/** Simulated latency of one request path: the base latency plus the path's extra, in ms. */
export function pathLatencyMs(app: AppSpec, path: string): number {
  return app.latencyMs + (app.slowPaths?.[path] ?? 0);
}

export class AppHost {
  private readonly running = new Map<string, RunningApp>();
  private readonly claims: NetServer[] = [];
  private block: number | undefined;
  private next = 0;

  constructor(
    private readonly timeScale: number,
    private readonly gate: ConnectionGate = () => ({ admit: true }),
  ) {}

  /**
   * A fresh loopback address from a /24 block in 127.100.0.0–127.250.255.0 that this host owns.
   * Several simulators run at once (parallel test processes); each claims its own block, so a probe
   * never reaches another simulator's app.
   */
  async allocateAddress(): Promise<string> {
    if (this.block === undefined || this.next >= 254) this.block = await this.claimBlock();
    this.next += 1;
    return formatIPv4(this.block + this.next);
  }

  /** Picks random blocks (not from the World's seed: parallel seeded Worlds must differ) until one is free. */
  private async claimBlock(): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      const a = 100 + Math.floor(Math.random() * 151);
      const b = Math.floor(Math.random() * 256);
      const base = 127 * 2 ** 24 + a * 2 ** 16 + b * 2 ** 8;
      const claim = createNetServer();
      try {
        await listen(claim, formatIPv4(base), BLOCK_CLAIM_PORT);
        claim.unref();
        this.claims.push(claim);
        this.next = 0;
        return base;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE' && attempt < CLAIM_ATTEMPTS) continue;
        throw new Error(
          `cannot claim a loopback address block (${code ?? String(error)})` +
            (code === 'EADDRNOTAVAIL'
              ? ': the simulator needs all of 127.0.0.0/8 on loopback, as Linux has it'
              : ''),
        );
      }
    }
  }

  /** Starts the instance's app when it should run (app running and VM RUNNING). */
  async start(projectId: string, instance: Instance): Promise<void> {
    if (this.running.has(key(projectId, instance.name))) return;
    if (!instance.app.running || instance.status !== 'RUNNING') return;
    if (!isLoopback(instance.networkIP)) {
      throw new Error(
        `refusing to serve ${instance.name} on ${instance.networkIP}: only loopback addresses are used`,
      );
    }
    const spec = structuredClone(instance.app);
    const pending = new Set<NodeJS.Timeout>();
    const sockets = new Set<Socket>();
    const server = this.protocolServer(spec, pending);
    const listener = createNetServer((socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      // A held socket may be reset by its prober; nothing is listening for its errors otherwise.
      socket.on('error', () => undefined);
      const verdict = this.gate(projectId, instance.name, socket.remoteAddress, spec.port);
      // Dropped: never read, never answered. A paused socket does not see its prober leave, so it is
      // let go after a while (long after any prober's timeout) or when the app stops.
      if (!verdict.admit) {
        socket.pause();
        socket.setTimeout(HELD_SOCKET_MS, () => socket.destroy());
      } else server.emit('connection', socket);
    });
    try {
      await listen(listener, instance.networkIP, spec.port);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new Error(
        `cannot start the app of ${instance.name} on ${instance.networkIP}:${spec.port} (${code ?? String(error)})` +
          (code === 'EADDRINUSE' ? `; is another process listening on 0.0.0.0:${spec.port}?` : ''),
      );
    }
    this.running.set(key(projectId, instance.name), { listener, sockets, pending });
  }

  /** The server that speaks the app's protocol on connections the listener hands over. */
  private protocolServer(spec: AppSpec, pending: Set<NodeJS.Timeout>): Protocol {
    const handler = (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) =>
      this.handle(spec, req, res, pending);
    const keepAlive = Math.min(Math.max(spec.keepaliveSec * 1000 * this.timeScale, 50), 60_000);
    if (spec.protocol === 'HTTP2')
      return createSecureServer({ ...appTlsIdentity(), allowHTTP1: true }, handler);
    const server: Server =
      spec.protocol === 'HTTPS'
        ? createHttpsServer({ ...appTlsIdentity(), ALPNProtocols: ['http/1.1'] }, handler)
        : createServer(handler);
    server.keepAliveTimeout = keepAlive;
    return server;
  }

  /** Applies a changed app spec (port, paths, running, latency, keepalive): stop, then start. */
  async restart(projectId: string, instance: Instance): Promise<void> {
    await this.stop(projectId, instance.name);
    await this.start(projectId, instance);
  }

  async stop(projectId: string, instanceName: string): Promise<void> {
    const app = this.running.get(key(projectId, instanceName));
    if (app === undefined) return;
    this.running.delete(key(projectId, instanceName));
    await closeApp(app);
  }

  /** Stops every app and gives up the claimed blocks. */
  async closeAll(): Promise<void> {
    const apps = [...this.running.values()];
    this.running.clear();
    await Promise.all(apps.map(closeApp));
    const claims = this.claims.splice(0);
    await Promise.all(claims.map((claim) => new Promise<void>((resolve) => claim.close(() => resolve()))));
  }

  private handle(
    spec: AppSpec,
    req: IncomingMessage | Http2ServerRequest,
    res: ServerResponse | Http2ServerResponse,
    pending: Set<NodeJS.Timeout>,
  ): void {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const served = spec.paths.includes(path);
    const latency = pathLatencyMs(spec, path);
    const timer = setTimeout(() => {
      pending.delete(timer);
      const body = served ? (spec.body ?? 'ok') : 'not found';
      res.writeHead(served ? spec.status : 404, {
        'content-type': 'text/plain; charset=utf-8',
        'content-length': Buffer.byteLength(body),
        [SIMULATED_LATENCY_HEADER]: String(latency),
      });
      res.end(body);
    }, latency * this.timeScale);
    pending.add(timer);
  }
}

function listen(server: NetServer, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function key(projectId: string, instanceName: string): string {
  return `${projectId}/${instanceName}`;
}

function closeApp(app: RunningApp): Promise<void> {
  for (const timer of app.pending) clearTimeout(timer);
  app.pending.clear();
  return new Promise((resolve) => {
    app.listener.close(() => resolve());
    for (const socket of app.sockets) socket.destroy();
    app.sockets.clear();
  });
}
