/**
 * The in-VPC probe: plain HTTP GETs from the worker to the instances' addresses, on the ports and
 * paths in question, to learn what the app really serves (the field guide's "curl from a VM").
 */
import { request } from 'node:http';
import type { ProbeRequest } from '../core/collect';
import type { ProbeResult } from '../core/evidence';
import { cidrContains } from '../core/firewall';

export interface ProbeOptions {
  /** Addresses the probe may connect to; any address when absent. */
  allowedRanges?: string[];
  /** Per-request timeout, ms. */
  timeoutMs: number;
}

function httpProbe(
  ip: string,
  port: number,
  path: string,
  timeoutMs: number,
): Promise<Omit<ProbeResult, 'instance'>> {
  const started = Date.now();
  return new Promise((resolve) => {
    const done = (r: { status?: number; error?: string }) =>
      resolve({ ipAddress: ip, port, path, ...r, latencyMs: Date.now() - started });
    const req = request(
      {
        host: ip,
        port,
        path,
        method: 'GET',
        agent: false,
        timeout: timeoutMs,
        headers: { 'user-agent': 'lbmedic-probe/1' },
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
        const r0 = await httpProbe(t.ipAddress, port, first, opts.timeoutMs);
        results.push({ instance: t.instance, ...r0 });
        if (r0.status === undefined) return;
        for (const path of rest) {
          results.push({
            instance: t.instance,
            ...(await httpProbe(t.ipAddress, port, path, opts.timeoutMs)),
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
