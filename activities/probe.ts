/**
 * The in-VPC probe: HTTP GETs from the worker to the instances' addresses, on the ports and paths in
 * question, to learn what the app really serves (the field guide's "curl from a VM"). Over TLS for
 * HTTPS, HTTP/2 and SSL backends, without verifying the certificate, as Google's health checkers do
 * (https://cloud.google.com/load-balancing/docs/health-check-concepts, "Certificates and health
 * checks"): backends commonly present self-signed ones.
 *
 * The worker's connections meet the backends' firewall like any other ingress. Sockets are bound to
 * `localAddress` when given: against the simulator, the worker's loopback address, which the
 * simulated apps judge as the worker's VPC address (docs/simulator.md, "lbmedic's probe meets the
 * firewall"). Each result records that VPC address (`from`), so the diagnosis can say which rule
 * drops a probe that timed out.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ProbeRequest } from '../core/collect';
import type { ProbeResult } from '../core/evidence';
import { cidrContains } from '../core/firewall';

export interface ProbeOptions {
  /** Addresses the probe may connect to; any address when absent. */
  allowedRanges?: string[];
  /** Per-request timeout, ms. */
  timeoutMs: number;
  /** The local address the probe's sockets bind to (the simulator: the worker's loopback address). */
  localAddress?: string;
  /** The worker's address in the VPC, recorded with each result (what the firewall judges). */
  source?: string;
}

function httpProbe(
  ip: string,
  port: number,
  path: string,
  opts: ProbeOptions & { tls: boolean },
): Promise<Omit<ProbeResult, 'instance'>> {
  const started = Date.now();
  const request = opts.tls ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const done = (r: { status?: number; error?: string }) =>
      resolve({
        ipAddress: ip,
        port,
        path,
        ...r,
        latencyMs: Date.now() - started,
        ...(opts.tls ? { scheme: 'https' as const } : {}),
        ...(opts.source ? { from: opts.source } : {}),
      });
    const req = request(
      {
        host: ip,
        port,
        path,
        method: 'GET',
        agent: false,
        timeout: opts.timeoutMs,
        headers: { 'user-agent': 'lbmedic-probe/1' },
        ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
        // As Google's checkers: the backend's certificate is not verified (self-signed is common).
        ...(opts.tls ? { rejectUnauthorized: false } : {}),
      },
      (res) => {
        res.resume();
        done({ status: res.statusCode ?? 0 });
      },
    );
    req.on('timeout', () => {
      req.destroy();
      done({ error: 'timeout' });
    });
    req.on('error', (err: NodeJS.ErrnoException) => done({ error: err.code ?? err.message }));
    req.end();
  });
}

/** Probes every target on every port: first path, then the others where something answered. */
export async function probeInstances(req: ProbeRequest, opts: ProbeOptions): Promise<ProbeResult[]> {
  const allowed = opts.allowedRanges;
  const tls = req.tls === true;
  const results: ProbeResult[] = [];
  for (const t of req.targets) {
    if (allowed && !allowed.some((r) => cidrContains(r, t.ipAddress))) {
      throw new Error(`refusing to probe ${t.ipAddress}: outside ${allowed.join(', ')}`);
    }
    await Promise.all(
      req.ports.map(async (port) => {
        // One request tells whether anything listens; only then are the other paths worth asking.
        const [first, ...rest] = req.paths;
        if (first === undefined) return;
        const r0 = await httpProbe(t.ipAddress, port, first, { ...opts, tls });
        results.push({ instance: t.instance, ...r0 });
        if (r0.status === undefined) return;
        for (const path of rest) {
          results.push({
            instance: t.instance,
            ...(await httpProbe(t.ipAddress, port, path, { ...opts, tls })),
          });
        }
      }),
    );
  }
  // Deterministic order for history and reports.
  return results.sort(
    (a, b) => a.instance.localeCompare(b.instance) || a.port - b.port || a.path.localeCompare(b.path),
  );
}
