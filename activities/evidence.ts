/**
 * Evidence activities: each reads one source through the real Google clients (or probes the
 * instances over HTTP) and returns plain facts. Errors leave as GoogleApiError (mapped in
 * gcp-clients.ts); core/collect.ts turns a failed source into "could not see".
 */
import { request } from 'node:http';
import type { protos } from '@google-cloud/monitoring';
import type {
  BackendRef,
  BackendServiceFacts,
  HealthCheckFacts,
  InstanceFacts,
  InstanceGroupFacts,
  InstanceHealthFacts,
  LatencyFacts,
  LogFacts,
  NegFacts,
  ProbeResult,
} from '../core/evidence';
import type { EvidenceReaders, ProbeRequest } from '../core/collect';
import type { FirewallRule } from '../core/firewall';
import { cidrContains } from '../core/firewall';
import type { GcpClients } from './gcp-clients';

type Distribution = protos.google.api.IDistribution;

/** Async iterators page by themselves; saying so silences gax's AutopaginateTrueWarning. */
const NO_AUTOPAGINATE = { autoPaginate: false };

const last = (url: string | null | undefined) => (url ?? '').split('/').filter(Boolean).pop() ?? '';

/** `.../zones/us-central1-a/instanceGroups/web-ig` → its parts. */
export function parseGroupUrl(url: string): BackendRef {
  const m = /(?:zones\/([^/]+)|regions\/([^/]+))\/(instanceGroups|networkEndpointGroups)\/([^/]+)$/.exec(url);
  if (!m) return { group: url, kind: 'instanceGroup', name: last(url) };
  return {
    group: url,
    kind: m[3] === 'networkEndpointGroups' ? 'neg' : 'instanceGroup',
    name: m[4] ?? last(url),
    ...(m[1] ? { zone: m[1] } : {}),
    ...(m[2] ? { region: m[2] } : {}),
  };
}

const num = (v: unknown, fallback = 0) => {
  const n = typeof v === 'string' ? Number(v) : typeof v === 'number' ? v : NaN;
  return Number.isFinite(n) ? n : fallback;
};

/** Upper bounds of a distribution's finite buckets (Monitoring's three bucket layouts). */
function bucketBounds(d: Distribution): number[] {
  const o = d.bucketOptions;
  if (o?.explicitBuckets?.bounds) return o.explicitBuckets.bounds.map(Number);
  if (o?.exponentialBuckets) {
    const { numFiniteBuckets, growthFactor, scale } = o.exponentialBuckets;
    return Array.from({ length: num(numFiniteBuckets) + 1 }, (_, i) => num(scale) * num(growthFactor) ** i);
  }
  if (o?.linearBuckets) {
    const { numFiniteBuckets, width, offset } = o.linearBuckets;
    return Array.from({ length: num(numFiniteBuckets) + 1 }, (_, i) => num(offset) + num(width) * i);
  }
  return [];
}

/**
 * Merges distributions and returns p50/p99/max as bucket upper bounds (conservative: a timeout
 * raised from them covers the observed requests). The overflow bucket has no upper bound: its
 * requests count at the largest finite bound, which the caller's margin must cover.
 */
export function latencyPercentiles(ds: Distribution[]): {
  p50?: number;
  p99?: number;
  max?: number;
  count: number;
} {
  const counts = new Map<number, number>();
  let total = 0;
  for (const d of ds) {
    const bounds = bucketBounds(d);
    (d.bucketCounts ?? []).forEach((c, i) => {
      const n = num(c);
      if (n === 0) return;
      // Bucket 0 is underflow (< bounds[0]); bucket i covers [bounds[i-1], bounds[i]); the last is overflow.
      const upper = bounds[Math.min(i, bounds.length - 1)] ?? 0;
      counts.set(upper, (counts.get(upper) ?? 0) + n);
      total += n;
    });
  }
  if (total === 0) return { count: 0 };
  const sorted = [...counts.entries()].sort((a, b) => a[0] - b[0]);
  const at = (q: number) => {
    let seen = 0;
    for (const [upper, c] of sorted) {
      seen += c;
      if (seen >= q * total) return upper;
    }
    return sorted[sorted.length - 1]?.[0];
  };
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1]?.[0], count: total };
}

export interface EvidenceActivityOptions {
  /** Addresses the probe may connect to. The simulator's instances live on 127.0.0.0/8. */
  probeAllowedRanges?: string[];
  /** Per-request timeout of the in-VPC probe, ms. */
  probeTimeoutMs?: number;
  /**
   * Most log entries read per diagnosis: the newest, one page. A sample that size shows the mix of
   * statusDetails as well as all of them would, and every further page costs a round trip to Cloud
   * Logging and the client's decoding of 1000 entries (about 200 ms here) before anything is fixed.
   */
  logLimit?: number;
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

export function createEvidenceActivities(clients: GcpClients, opts: EvidenceActivityOptions = {}) {
  const probeTimeoutMs = opts.probeTimeoutMs ?? 2_000;
  const logLimit = opts.logLimit ?? 1_000;

  const readers: EvidenceReaders = {
    async readBackendService({ project, backendService }) {
      const [bs] = await clients.backendServices.get({ project, backendService });
      return {
        name: bs.name ?? backendService,
        protocol: String(bs.protocol ?? 'HTTP'),
        portName: bs.portName ?? 'http',
        timeoutSec: num(bs.timeoutSec, 30),
        loadBalancingScheme: String(bs.loadBalancingScheme ?? ''),
        ...(bs.healthChecks?.[0] ? { healthCheck: last(bs.healthChecks[0]) } : {}),
        backends: (bs.backends ?? []).filter((b) => b.group).map((b) => parseGroupUrl(b.group ?? '')),
        ...(bs.fingerprint ? { fingerprint: bs.fingerprint } : {}),
      } satisfies BackendServiceFacts;
    },

    async readHealth({ project, backendService, backends }) {
      const out: InstanceHealthFacts[] = [];
      for (const b of backends.filter((x) => x.kind === 'instanceGroup')) {
        const [h] = await clients.backendServices.getHealth({
          project,
          backendService,
          resourceGroupReferenceResource: { group: b.group },
        });
        for (const s of h.healthStatus ?? []) {
          out.push({
            instance: last(s.instance),
            group: b.name,
            ipAddress: s.ipAddress ?? '',
            ...(s.port ? { port: s.port } : {}),
            healthState: String(s.healthState ?? 'UNKNOWN'),
          });
        }
      }
      return out;
    },

    async readHealthCheck({ project, healthCheck }) {
      const [hc] = await clients.healthChecks.get({ project, healthCheck });
      const type = String(hc.type ?? 'TCP');
      const details =
        hc.httpHealthCheck ??
        hc.httpsHealthCheck ??
        hc.http2HealthCheck ??
        hc.tcpHealthCheck ??
        hc.sslHealthCheck ??
        {};
      const d = details as {
        port?: number | null;
        portName?: string | null;
        portSpecification?: unknown;
        requestPath?: string | null;
      };
      return {
        name: hc.name ?? healthCheck,
        type,
        ...(d.port ? { port: d.port } : {}),
        ...(d.portName ? { portName: d.portName } : {}),
        ...(d.portSpecification ? { portSpecification: String(d.portSpecification) } : {}),
        ...(d.requestPath
          ? { requestPath: d.requestPath }
          : type.startsWith('HTTP')
            ? { requestPath: '/' }
            : {}),
        checkIntervalSec: num(hc.checkIntervalSec, 5),
        timeoutSec: num(hc.timeoutSec, 5),
        healthyThreshold: num(hc.healthyThreshold, 2),
        unhealthyThreshold: num(hc.unhealthyThreshold, 2),
      } satisfies HealthCheckFacts;
    },

    async readFirewallRules({ project }) {
      const rules: FirewallRule[] = [];
      for await (const f of clients.firewalls.listAsync({ project }, NO_AUTOPAGINATE)) {
        rules.push({
          name: f.name ?? '',
          network: f.network ?? '',
          direction: String(f.direction ?? 'INGRESS'),
          priority: num(f.priority, 1000),
          sourceRanges: f.sourceRanges ?? [],
          sourceTags: f.sourceTags ?? [],
          targetTags: f.targetTags ?? [],
          targetServiceAccounts: f.targetServiceAccounts ?? [],
          allowed: (f.allowed ?? []).map((a) => ({ IPProtocol: a.IPProtocol ?? '', ports: a.ports ?? [] })),
          denied: (f.denied ?? []).map((a) => ({ IPProtocol: a.IPProtocol ?? '', ports: a.ports ?? [] })),
          disabled: Boolean(f.disabled),
        });
      }
      return rules;
    },

    async readInstanceGroups({ project, backends }) {
      const out: InstanceGroupFacts[] = [];
      for (const b of backends.filter((x) => x.kind === 'instanceGroup' && x.zone)) {
        const zone = b.zone ?? '';
        const [ig] = await clients.instanceGroups.get({ project, zone, instanceGroup: b.name });
        const instances: InstanceFacts[] = [];
        for await (const item of clients.instanceGroups.listInstancesAsync(
          {
            project,
            zone,
            instanceGroup: b.name,
            instanceGroupsListInstancesRequestResource: { instanceState: 'ALL' },
          },
          NO_AUTOPAGINATE,
        )) {
          const [vm] = await clients.instances.get({ project, zone, instance: last(item.instance) });
          const nic = vm.networkInterfaces?.[0];
          instances.push({
            name: vm.name ?? last(item.instance),
            group: b.name,
            zone,
            networkIP: nic?.networkIP ?? '',
            network: nic?.network ?? '',
            tags: vm.tags?.items ?? [],
            serviceAccounts: (vm.serviceAccounts ?? []).map((s) => s.email ?? '').filter(Boolean),
            status: String(vm.status ?? 'UNKNOWN'),
          });
        }
        out.push({
          name: ig.name ?? b.name,
          zone,
          network: ig.network ?? '',
          namedPorts: (ig.namedPorts ?? []).map((p) => ({ name: p.name ?? '', port: num(p.port) })),
          ...(ig.fingerprint ? { fingerprint: ig.fingerprint } : {}),
          instances,
        });
      }
      return out;
    },

    async readLbLogs({ project, backendService, windowMinutes }) {
      const since = new Date(Date.now() - windowMinutes * 60_000).toISOString();
      const filter = [
        'resource.type="http_load_balancer"',
        `resource.labels.backend_service_name="${backendService}"`,
        `timestamp>="${since}"`,
      ].join(' AND ');
      const facts: LogFacts = { windowMinutes, total: 0, limit: logLimit, byStatusDetails: {}, byStatus: {} };
      let pageToken: string | undefined;
      do {
        const [entries, , response] = await clients.logging.getEntries({
          resourceNames: [`projects/${project}`],
          filter,
          orderBy: 'timestamp desc',
          pageSize: Math.min(1000, logLimit - facts.total),
          autoPaginate: false,
          ...(pageToken ? { pageToken } : {}),
        });
        for (const e of entries) {
          const meta = e.metadata as { httpRequest?: { status?: number | null } | null };
          const data = e.data as { statusDetails?: string } | undefined;
          const detail = data?.statusDetails ?? 'unknown';
          const status = String(meta.httpRequest?.status ?? 0);
          facts.byStatusDetails[detail] = (facts.byStatusDetails[detail] ?? 0) + 1;
          facts.byStatus[status] = (facts.byStatus[status] ?? 0) + 1;
          facts.total += 1;
        }
        pageToken = (response as { nextPageToken?: string } | undefined)?.nextPageToken || undefined;
      } while (pageToken && facts.total < logLimit);
      return facts;
    },

    async readBackendLatency({ project, backendService, windowMinutes }) {
      const end = Date.now();
      const [series] = await clients.metrics.listTimeSeries({
        name: `projects/${project}`,
        filter: `metric.type="loadbalancing.googleapis.com/https/backend_latencies" AND resource.labels.backend_target_name="${backendService}"`,
        interval: {
          startTime: { seconds: Math.floor((end - windowMinutes * 60_000) / 1000) },
          endTime: { seconds: Math.ceil(end / 1000) },
        },
        view: 'FULL',
      });
      const ds = series.flatMap((s) =>
        (s.points ?? []).map((p) => p.value?.distributionValue).filter((d): d is Distribution => Boolean(d)),
      );
      const p = latencyPercentiles(ds);
      return {
        windowMinutes,
        requests: p.count,
        ...(p.p50 !== undefined ? { p50Ms: p.p50 } : {}),
        ...(p.p99 !== undefined ? { p99Ms: p.p99 } : {}),
        ...(p.max !== undefined ? { maxMs: p.max } : {}),
      } satisfies LatencyFacts;
    },

    async readNegs({ project, backends }) {
      const wanted = new Set(backends.filter((b) => b.kind === 'neg').map((b) => b.name));
      if (wanted.size === 0) return [];
      const out: NegFacts[] = [];
      for await (const [scope, list] of clients.networkEndpointGroups.aggregatedListAsync(
        { project },
        NO_AUTOPAGINATE,
      )) {
        for (const n of list.networkEndpointGroups ?? []) {
          if (!n.name || !wanted.has(n.name)) continue;
          const where = scope.split('/');
          out.push({
            name: n.name,
            type: String(n.networkEndpointType ?? ''),
            size: num(n.size),
            ...(where[0] === 'zones' && where[1] ? { zone: where[1] } : {}),
            ...(where[0] === 'regions' && where[1] ? { region: where[1] } : {}),
            ...(n.cloudRun?.service ? { cloudRunService: n.cloudRun.service } : {}),
            ...(n.defaultPort ? { defaultPort: n.defaultPort } : {}),
          });
        }
      }
      return out;
    },

    async probeInstances(req: ProbeRequest) {
      const allowed = opts.probeAllowedRanges;
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
            const r0 = await httpProbe(t.ipAddress, port, first, probeTimeoutMs);
            results.push({ instance: t.instance, ...r0 });
            if (r0.status === undefined) return;
            for (const path of rest) {
              results.push({
                instance: t.instance,
                ...(await httpProbe(t.ipAddress, port, path, probeTimeoutMs)),
              });
            }
          }),
        );
      }
      // Deterministic order for history and reports.
      return results.sort(
        (a, b) => a.instance.localeCompare(b.instance) || a.port - b.port || a.path.localeCompare(b.path),
      );
    },
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
