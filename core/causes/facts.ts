/**
 * Facts several causes share, derived once from the evidence: which port the health check probes,
 * the named port, where the in-VPC probe saw the app answer, the health counts and the log counts.
 * A source that could not be read leaves its facts undefined; a cause that needs them draws no
 * conclusion.
 */
import type {
  BackendServiceFacts,
  Evidence,
  FirewallPolicyFacts,
  HealthCheckFacts,
  InstanceFacts,
  InstanceGroupFacts,
  LogFacts,
  ProbeResult,
} from '../evidence';
import { effectiveVerdict } from '../firewall-policy';

/** The LB's statusDetails when no healthy backend could be picked. */
export const NO_HEALTHY = 'failed_to_pick_backend';
/**
 * The LB's statusDetails when it picked a backend but could not connect to its serving port (nothing
 * listens, or the firewall drops its traffic), even while the backend is HEALTHY
 * (https://cloud.google.com/load-balancing/docs/https/https-logging-monitoring).
 */
export const NO_CONNECT = 'failed_to_connect_to_backend';

/** Paths the probe tries besides the health check's own. */
export const COMMON_HEALTH_PATHS = ['/', '/healthz', '/health', '/ready', '/readyz'];
/** Ports the probe tries besides the health check's and named ports'. */
export const COMMON_APP_PORTS = [80, 3000, 5000, 8000, 8080, 8081, 8443, 9000, 9090];

/** Where the app answers 200, and on how many instances. */
export interface ServingEndpoint {
  port: number;
  path: string;
  instances: number;
}

export interface Facts {
  evidence: Evidence;
  backend: BackendServiceFacts;
  /** The backend's instance groups; undefined when they could not be read. */
  groups: InstanceGroupFacts[] | undefined;
  /** Undefined when unreadable or when the backend service has none. */
  healthCheck: HealthCheckFacts | undefined;
  /** The port the health check probes today (its portSpecification followed). */
  healthCheckPort: number | undefined;
  /** The path the health check requests (`/` when unset). */
  healthCheckPath: string;
  /** The port the backend service's portName maps to on its instance groups. */
  namedPort: number | undefined;
  probe: ProbeResult[] | undefined;
  serving: ServingEndpoint | undefined;
  logs: LogFacts | undefined;
  health: { healthy: number; total: number } | undefined;
  unhealthy: number;
  /** The firewall policies of the instances' networks; undefined when not read. */
  firewallPolicies: FirewallPolicyFacts[] | undefined;
  /** The VMs behind the backend's zonal GCE_VM_IP_PORT NEGs, with each endpoint's port. */
  negEndpoints: { neg: string; port: number; instance: InstanceFacts }[];
  /** Responses with a 5xx status in the logs. */
  fivexx: number;
  /**
   * Chase health (health check, named port, firewall) when getHealth shows unhealthy backends of
   * instance groups or zonal NEGs or, failing that, the logs say no backend could be picked.
   */
  chaseHealth: boolean;
}

/** The port a health check probes, following its portSpecification (gcp-facts §1). */
export function healthCheckPort(
  hc: HealthCheckFacts,
  portName: string,
  groups: Pick<InstanceGroupFacts, 'namedPorts'>[],
): number | undefined {
  const named = (name: string | undefined) =>
    name === undefined ? undefined : groups.flatMap((g) => g.namedPorts).find((p) => p.name === name)?.port;
  switch (hc.portSpecification) {
    case 'USE_SERVING_PORT':
      return named(portName);
    case 'USE_NAMED_PORT':
      return named(hc.portName);
    case 'USE_FIXED_PORT':
      return hc.port;
    default:
      return hc.port ?? named(hc.portName);
  }
}

/** The (port, path) most instances answered 200 on, preferring the configured port and path on ties. */
export function servingEndpoint(
  results: ProbeResult[],
  preferPort: number | undefined,
  preferPath: string | undefined,
): ServingEndpoint | undefined {
  const ok = new Map<string, Set<string>>();
  for (const r of results) {
    if (r.status !== 200) continue;
    const key = `${r.port} ${r.path}`;
    ok.set(key, (ok.get(key) ?? new Set()).add(r.instance));
  }
  let best: (ServingEndpoint & { score: number }) | undefined;
  for (const [key, instances] of ok) {
    const [portText, path = '/'] = key.split(' ');
    const port = Number(portText);
    // More instances first; then the port the config already uses; then the health check's own path,
    // then a health-looking path over `/` (a fix should keep probing a health endpoint).
    const pathScore = path === preferPath ? 2 : /health|ready/.test(path) ? 1 : 0;
    const score = instances.size * 8 + (port === preferPort ? 4 : 0) + pathScore;
    if (!best || score > best.score || (score === best.score && key < `${best.port} ${best.path}`)) {
      best = { port, path, instances: instances.size, score };
    }
  }
  return best && { port: best.port, path: best.path, instances: best.instances };
}

/** The facts of `ev` about `backend` (the backend service, which was read). */
export function gatherFacts(ev: Evidence, backend: BackendServiceFacts): Facts {
  const groups = ev.instanceGroups.ok ? ev.instanceGroups.value : undefined;
  const healthCheck = ev.healthCheck.ok ? (ev.healthCheck.value ?? undefined) : undefined;
  const logs = ev.logs.ok ? ev.logs.value : undefined;
  const probe = ev.probe.ok ? ev.probe.value : undefined;
  const instances = ev.health.ok ? ev.health.value : undefined;
  const health = instances && {
    healthy: instances.filter((i) => i.healthState === 'HEALTHY').length,
    total: instances.length,
  };
  const namedPort = (groups ?? [])
    .flatMap((g) => g.namedPorts)
    .find((p) => p.name === backend.portName)?.port;
  const hcPort = healthCheck ? healthCheckPort(healthCheck, backend.portName, groups ?? []) : undefined;
  const hcPath = healthCheck?.requestPath ?? '/';
  const unhealthy = health ? health.total - health.healthy : 0;
  // Zonal NEGs (GCE_VM_IP_PORT, hybrid) are health-checked like instance groups (gcp-facts §4).
  const zonalNegs = new Set(backend.backends.filter((b) => b.kind === 'neg' && b.zone).map((b) => b.name));
  const checked = zonalNegs.size > 0 || backend.backends.some((b) => b.kind === 'instanceGroup');
  const negEndpoints = (ev.negs.ok ? ev.negs.value : [])
    .filter((n) => zonalNegs.has(n.name))
    .flatMap((n) =>
      (n.endpoints ?? []).flatMap((e) =>
        e.instance ? [{ neg: n.name, port: e.port, instance: e.instance }] : [],
      ),
    );
  return {
    evidence: ev,
    backend,
    groups,
    healthCheck,
    healthCheckPort: hcPort,
    healthCheckPath: hcPath,
    namedPort,
    probe,
    serving: probe ? servingEndpoint(probe, hcPort ?? namedPort, hcPath) : undefined,
    logs,
    health,
    unhealthy,
    negEndpoints,
    firewallPolicies: ev.firewallPolicies?.ok ? ev.firewallPolicies.value : undefined,
    fivexx: logs ? Object.entries(logs.byStatus).reduce((n, [s, c]) => (Number(s) >= 500 ? n + c : n), 0) : 0,
    chaseHealth: checked && (health ? unhealthy > 0 : logCount(logs, NO_HEALTHY) > 0),
  };
}

/** How many LB log entries had `statusDetails` `detail` (0 when the logs could not be read). */
export function logCount(logs: LogFacts | undefined, detail: string): number {
  return logs?.byStatusDetails[detail] ?? 0;
}

/**
 * The worker's in-VPC probes that timed out where the firewall drops the worker's traffic, by port:
 * the deciding rule and the instances. Such a probe says nothing about the app; the diagnosis says
 * so and never concludes from it (docs/diagnosis.md).
 */
export function blockedProbes(
  facts: Facts,
): { port: number; from: string; rule: string; instances: string[] }[] {
  const rules = facts.evidence.firewallRules.ok ? facts.evidence.firewallRules.value : undefined;
  if (!rules || !facts.probe) return [];
  const vms = new Map(
    [...(facts.groups ?? []).flatMap((g) => g.instances), ...facts.negEndpoints.map((e) => e.instance)].map(
      (i) => [i.name, i],
    ),
  );
  const byKey = new Map<string, { port: number; from: string; rule: string; instances: string[] }>();
  for (const r of facts.probe) {
    const vm = vms.get(r.instance);
    if (r.error !== 'timeout' || !r.from || !vm) continue;
    const verdict = effectiveVerdict(rules, facts.firewallPolicies, vm, `${r.from}/32`, r.port);
    if (verdict.allowed) continue;
    const key = `${r.port} ${verdict.rule}`;
    const entry = byKey.get(key) ?? { port: r.port, from: r.from, rule: verdict.rule, instances: [] };
    if (!entry.instances.includes(r.instance)) entry.instances.push(r.instance);
    byKey.set(key, entry);
  }
  return [...byKey.values()].sort((a, b) => a.port - b.port);
}

/** What the health chase starts from: the health counts, and what the probe could not tell. */
export function healthNotes(facts: Facts): string[] {
  if (!facts.chaseHealth) return [];
  const { health, probe, serving, logs } = facts;
  const notes = [
    health
      ? `getHealth: ${health.healthy}/${health.total} HEALTHY`
      : `getHealth unavailable; logs show ${logCount(logs, NO_HEALTHY)} ${NO_HEALTHY}`,
  ];
  const blocked = blockedProbes(facts);
  for (const b of blocked) {
    notes.push(
      `the in-VPC probe from ${b.from} to :${b.port} is dropped by the firewall (${b.rule}) on ${b.instances.join(', ')}: what the app serves there is unknown until the worker is admitted`,
    );
  }
  if (!probe) notes.push('the in-VPC probe could not run: which port/path the app serves is unknown');
  else if (!serving && blocked.length > 0) {
    notes.push('no port/path answered 200 where the worker is admitted: the app is not proven down');
  } else if (!serving) {
    // Every probe timing out says nothing about the app: the instances (or the way to them) are slow.
    const timedOut = probe.filter((r) => r.error === 'timeout').length;
    notes.push(
      probe.length > 0 && timedOut === probe.length
        ? `every in-VPC probe (${timedOut}) timed out: which port/path the app serves is unknown`
        : 'no instance answered 200 on any probed port/path: the app may be down, or serve elsewhere',
    );
  }
  return notes;
}
