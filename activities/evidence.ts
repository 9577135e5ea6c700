/**
 * Evidence activities: each reads one source and returns plain facts. The sources have a module
 * each: the Compute configuration (compute-config.ts), getHealth (health-status.ts), the LB request
 * log (lb-request-log.ts), backend latency (backend-latency.ts), the in-VPC probe (probe.ts) and the
 * project around the backend service (topology.ts).
 * Errors leave as GoogleApiError (mapped in gcp-clients.ts); core/collect.ts turns a failed source
 * into "could not see".
 */
import type { EvidenceReaders } from '../core/collect';
import { readBackendLatency } from './backend-latency';
import { createComputeConfigReaders } from './compute-config';
import type { GcpClients } from './gcp-clients';
import { readInstanceHealth } from './health-status';
import { readLbLogFacts } from './lb-request-log';
import { probeInstances } from './probe';
import { readFirewallPolicies } from './firewall-policies';
import { readTopology } from './topology';

export interface EvidenceActivityOptions {
  /** Addresses the probe may connect to. The simulator's instances live on 127.0.0.0/8. */
  probeAllowedRanges?: string[];
  /** Per-request timeout of the in-VPC probe, ms. */
  probeTimeoutMs?: number;
  /**
   * Ports probed besides the ones asked for: the policies' fixed ports, so a plan can tell whether
   * the app serves there (core/bounds.ts `unservedPortProblem`).
   */
  probePorts?: number[];
  /**
   * Most log entries read per diagnosis: the newest, one page. A sample that size shows the mix of
   * statusDetails as well as all of them would, and every further page costs a round trip to Cloud
   * Logging and the client's decoding of 1000 entries (about 200 ms here) before anything is fixed.
   */
  logLimit?: number;
  /** The local address the probe binds to (against the simulator: the worker's loopback address). */
  probeLocalAddress?: string;
  /** The worker's address in the VPC (recorded with the probe results; judged by the firewall). */
  probeSource?: string;
}

export function createEvidenceActivities(clients: GcpClients, opts: EvidenceActivityOptions = {}) {
  const probe = {
    timeoutMs: opts.probeTimeoutMs ?? 2_000,
    ...(opts.probeAllowedRanges ? { allowedRanges: opts.probeAllowedRanges } : {}),
    ...(opts.probeLocalAddress ? { localAddress: opts.probeLocalAddress } : {}),
    ...(opts.probeSource ? { source: opts.probeSource } : {}),
  };
  const logLimit = opts.logLimit ?? 1_000;
  const readers: Required<EvidenceReaders> = {
    ...createComputeConfigReaders(clients),
    readHealth: (t) => readInstanceHealth(clients, t),
    readLbLogs: (t) => readLbLogFacts(clients, t, logLimit),
    readBackendLatency: (t) => readBackendLatency(clients, t),
    probeInstances: (req) => {
      const ports = [...new Set([...req.ports, ...(opts.probePorts ?? [])])].sort((a, b) => a - b);
      return probeInstances({ ...req, ports }, probe);
    },
    readTopology: (t) => readTopology(clients, t),
    readFirewallPolicies: (t) => readFirewallPolicies(clients, t),
  };
  return readers;
}

/** Bounds every reader in time, so one slow source cannot hold a diagnosis (outside Temporal). */
export function withDeadline(readers: EvidenceReaders, ms: number): EvidenceReaders {
  const bounded: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(readers) as [string, (arg: unknown) => Promise<unknown>][]) {
    bounded[name] = (arg: unknown) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name} gave no answer within ${ms} ms`)), ms);
        fn(arg)
          .then(resolve, reject)
          .finally(() => clearTimeout(timer));
      });
  }
  return bounded as unknown as EvidenceReaders;
}
