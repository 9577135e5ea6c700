/**
 * The order in which evidence is gathered, shared by the workflow (readers are activity stubs) and
 * the CLI (readers are the activity functions themselves). Deterministic: it only awaits readers.
 *
 * The backend service comes first (everything else is found through it); the independent sources
 * then run in parallel; the in-VPC probe runs last because it needs instance addresses and ports.
 * A reader that throws becomes a `{ ok: false }` source: the diagnosis goes on without it.
 */
import type {
  BackendServiceFacts,
  Evidence,
  FirewallPolicyFacts,
  HealthCheckFacts,
  InstanceGroupFacts,
  InstanceHealthFacts,
  LatencyFacts,
  LogFacts,
  NegFacts,
  ProbeResult,
  Source,
  TopologyFacts,
} from './evidence';
import type { FirewallRule } from './firewall';
import { COMMON_APP_PORTS, COMMON_HEALTH_PATHS, healthCheckPort } from './causes/facts';
import { failureMessage } from './failure';

export interface Target {
  project: string;
  backendService: string;
  /** The backend service's region; absent for a global one. */
  region?: string;
}

export interface ProbeRequest {
  targets: { instance: string; ipAddress: string }[];
  ports: number[];
  paths: string[];
  /** Speak TLS (HTTPS, HTTP/2 and SSL backends or health checks); plain HTTP when absent. */
  tls?: boolean;
}

/** Health check types and backend protocols that are TLS on the wire. */
const TLS_PROTOCOLS = new Set(['HTTPS', 'HTTP2', 'SSL']);

/** What a reader of each source is given and returns. */
export interface EvidenceReaders {
  readBackendService(t: Target): Promise<BackendServiceFacts>;
  readHealth(t: Target & { backends: BackendServiceFacts['backends'] }): Promise<InstanceHealthFacts[]>;
  /** `healthCheckRegion` names a regional health check. */
  readHealthCheck(t: Target & { healthCheck: string; healthCheckRegion?: string }): Promise<HealthCheckFacts>;
  readFirewallRules(t: Target): Promise<FirewallRule[]>;
  readInstanceGroups(
    t: Target & { backends: BackendServiceFacts['backends'] },
  ): Promise<InstanceGroupFacts[]>;
  /** `since` (ISO), when set, moves the start of the window later (core/freshness.ts `logsSince`). */
  readLbLogs(t: Target & { windowMinutes: number; since?: string }): Promise<LogFacts>;
  readBackendLatency(t: Target & { windowMinutes: number }): Promise<LatencyFacts>;
  readNegs(t: Target & { backends: BackendServiceFacts['backends'] }): Promise<NegFacts[]>;
  probeInstances(req: ProbeRequest): Promise<ProbeResult[]>;
  /** Project-wide: the backend services, groups and instances a change could reach. */
  readTopology(t: Target): Promise<TopologyFacts>;
  /**
   * The firewall policies in force on these networks (networks.getEffectiveFirewalls). Optional: a
   * workflow that started before it was read goes on without it (the `effective-firewalls` patch).
   */
  readFirewallPolicies?(t: Target & { networks: string[] }): Promise<FirewallPolicyFacts[]>;
}

export interface CollectOptions {
  /** Time the log and metric windows cover, minutes. */
  windowMinutes: number;
  /** The LB log is read from here on (ISO) when it is later than the window's start. */
  logsSince?: string;
  /** Extra ports to probe (a policy's declared ports). */
  probePorts?: number[];
  /** At most this many instances are probed. */
  probeSample?: number;
  /** ISO timestamp of the collection (workflow time in workflows). */
  now: string;
}

async function source<T>(read: () => Promise<T>): Promise<Source<T>> {
  try {
    return { ok: true, value: await read() };
  } catch (err) {
    return { ok: false, error: failureMessage(err) };
  }
}

const notRead = (why: string) => ({ ok: false as const, error: why });

export async function collectEvidence(
  readers: EvidenceReaders,
  target: Target,
  opts: CollectOptions,
): Promise<Evidence> {
  const backend = await source(() => readers.readBackendService(target));
  const base = { project: target.project, backendService: target.backendService, collectedAt: opts.now };
  if (!backend.ok) {
    const skipped = notRead('not read: the backend service could not be read');
    return {
      ...base,
      backend,
      health: skipped,
      healthCheck: skipped,
      firewallRules: skipped,
      instanceGroups: skipped,
      logs: skipped,
      latency: skipped,
      negs: skipped,
      probe: skipped,
      topology: skipped,
      firewallPolicies: skipped,
    };
  }
  const bs = backend.value;
  const backends = bs.backends;
  // Everything after the backend service is read where it lives (regional resources, logs).
  const t: Target = bs.region ? { ...target, region: bs.region } : target;
  const hasGroups = backends.some((b) => b.kind === 'instanceGroup');
  const hcName = bs.healthCheck;
  const [health, healthCheck, firewallRules, instanceGroups, logs, latency, negs, topology] =
    await Promise.all([
      source(() => readers.readHealth({ ...t, backends })),
      hcName
        ? source(() =>
            readers.readHealthCheck({
              ...t,
              healthCheck: hcName,
              ...(bs.healthCheckRegion ? { healthCheckRegion: bs.healthCheckRegion } : {}),
            }),
          )
        : Promise.resolve({ ok: true as const, value: null }),
      source(() => readers.readFirewallRules(t)),
      source(() => readers.readInstanceGroups({ ...t, backends })),
      source(() =>
        readers.readLbLogs({
          ...t,
          windowMinutes: opts.windowMinutes,
          ...(opts.logsSince ? { since: opts.logsSince } : {}),
        }),
      ),
      source(() => readers.readBackendLatency({ ...t, windowMinutes: opts.windowMinutes })),
      source(() => readers.readNegs({ ...t, backends })),
      source(() => readers.readTopology(t)),
    ]);

  let probe: Source<ProbeResult[]>;
  if (!hasGroups) probe = { ok: true, value: [] };
  else if (!instanceGroups.ok) probe = notRead('not run: the instance groups could not be read');
  else {
    const groups = instanceGroups.value;
    const hc = healthCheck.ok ? healthCheck.value : null;
    const hcPort = hc ? healthCheckPort(hc, bs.portName, groups) : undefined;
    const ports = uniqueSorted([
      ...(hcPort !== undefined ? [hcPort] : []),
      ...groups.flatMap((g) => g.namedPorts.map((p) => p.port)),
      ...(opts.probePorts ?? []),
      ...COMMON_APP_PORTS,
    ]);
    const paths = [...new Set([hc?.requestPath ?? '/', ...COMMON_HEALTH_PATHS])];
    const targets = groups
      .flatMap((g) => g.instances)
      .filter((i) => i.status === 'RUNNING')
      .slice(0, opts.probeSample ?? 3)
      .map((i) => ({ instance: i.name, ipAddress: i.networkIP }));
    const tls = TLS_PROTOCOLS.has(hc?.type ?? '') || TLS_PROTOCOLS.has(bs.protocol);
    probe = await source(() => readers.probeInstances({ targets, ports, paths, ...(tls ? { tls } : {}) }));
  }
  const firewallPolicies = await readPolicies(readers, t, instanceGroups, negs);
  return {
    ...base,
    backend,
    health,
    healthCheck,
    firewallRules,
    instanceGroups,
    logs,
    latency,
    negs,
    probe,
    topology,
    ...(firewallPolicies ? { firewallPolicies } : {}),
  };
}

/** The firewall policies of the backends' networks, once the instances say which networks. */
async function readPolicies(
  readers: EvidenceReaders,
  t: Target,
  instanceGroups: Source<InstanceGroupFacts[]>,
  negs: Source<NegFacts[]>,
): Promise<Source<FirewallPolicyFacts[]> | undefined> {
  const read = readers.readFirewallPolicies;
  if (!read) return undefined;
  const networks = [
    ...(instanceGroups.ok ? instanceGroups.value.flatMap((g) => g.instances.map((i) => i.network)) : []),
    ...(negs.ok ? negs.value.flatMap((n) => (n.endpoints ?? []).map((e) => e.instance?.network ?? '')) : []),
  ].filter(Boolean);
  if (networks.length === 0) return { ok: true, value: [] };
  return source(() => read({ ...t, networks: [...new Set(networks)].sort() }));
}

function uniqueSorted(ns: number[]): number[] {
  return [...new Set(ns)].sort((a, b) => a - b);
}
