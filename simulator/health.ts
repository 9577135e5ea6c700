/**
 * The health checker, computed the way GCP does it (gcp-facts §1, §2, §4): for every backend service,
 * every instance (or NEG endpoint) behind it is probed on the port its health check's
 * portSpecification names; the probe comes from 35.191.0.0/16 and 130.211.0.0/22 and must be admitted
 * by the firewall; the probe speaks the health check's protocol (probe-protocols.ts) to the
 * instance's real app. A backend flips after healthyThreshold / unhealthyThreshold consecutive
 * results, one probe every checkIntervalSec. State lives in `project.health` (see `healthKey`).
 *
 * Health follows the health check alone, as on GCP: getHealth's `port` is the group's named port for
 * the backend service's portName (where the load balancer sends requests), but a fixed-port check that
 * passes makes the backend HEALTHY even when nothing serves that named port; the load balancer's
 * requests then fail with `failed_to_connect_to_backend` (traffic.ts). Regional health checks probe
 * from the same ranges ("Firewall rules", https://cloud.google.com/load-balancing/docs/firewall-rules).
 */
import type {
  BackendService,
  HealthCheck,
  HealthState,
  Instance,
  NamedPort,
  Project,
  ProbeRecord,
} from './model';
import { PROBE_RANGES } from './model';
import { firewallContext, probeVerdict } from './firewall';
import type { FirewallTarget } from './firewall';
import { randomAddress } from './ip';
import { sendProbe } from './probe-protocols';
import type { DetailedState } from './probe-protocols';
import type { LogStore, NewLogEntry } from './telemetry';
import { durationString } from './telemetry';
import { parseResourceUrl, resourceName, selfLink } from './urls';

/**
 * Real time a probe waits at least, whatever the time scale, so a loaded machine does not fail probes.
 * This costs no fidelity: a slow app's timeout is judged on the latency it reports (see httpProbe), and
 * firewall-dropped probes are never sent; only a round's duration can grow.
 */
const PROBE_TIMEOUT_FLOOR_MS = 1000;
const DEFAULT_THRESHOLD = 2;

/** One instance (or NEG endpoint) behind a backend service, with the ports that matter for it. */
export interface HealthTarget {
  instance: Instance;
  /** Full URL of the instance group or NEG. */
  groupUrl: string;
  groupKind: 'instanceGroup' | 'neg';
  groupName: string;
  groupId: string;
  /** The instance's zone. */
  zone: string;
  /** The group's own location: its zone, or its region for a regional instance group. */
  groupLocation: string;
  /** The key of this target's record in `project.health`. */
  key: string;
  /** Where the load balancer sends requests: the named port for the bs's portName, or the endpoint port. */
  servingPort?: number;
  /** Where the health check probes, or why that cannot be resolved. */
  probePort?: number;
  probePortError?: string;
}

export interface ProbeOutcome {
  ok: boolean;
  detailed: DetailedState;
  text: string;
  sourceIp: string;
  targetPort?: number;
  connectLatencyMs?: number;
  responseLatencyMs?: number;
}

/**
 * Where a target's probe record lives: `${bs}/${instance}` for an instance group member (an instance
 * is in at most one group behind a backend service), `${bs}/${neg}/${instance}:${port}` for a NEG
 * endpoint (an instance may be several endpoints, one per port).
 */
export function healthKey(
  bsName: string,
  groupKind: 'instanceGroup' | 'neg',
  group: string,
  instance: string,
  port?: number,
): string {
  return groupKind === 'instanceGroup'
    ? `${bsName}/${instance}`
    : `${bsName}/${group}/${instance}:${port ?? 0}`;
}

export function healthCheckOf(project: Project, bs: BackendService): HealthCheck | undefined {
  const url = bs.healthChecks[0];
  return url === undefined ? undefined : project.healthChecks.get(resourceName(url));
}

function defaultPort(type: HealthCheck['type']): number | undefined {
  if (type === 'HTTP' || type === 'TCP') return 80;
  if (type === 'HTTPS' || type === 'HTTP2' || type === 'SSL') return 443;
  return undefined; // gRPC has no default port
}

function lookup(namedPorts: NamedPort[], name: string): number | undefined {
  return namedPorts.find((np) => np.name === name)?.port;
}

/**
 * The port a health check probes (gcp-facts §1). USE_NAMED_PORT and an unset specification follow the
 * 2021 API text (current docs call named ports in health checks "not supported"): with no
 * specification, `port` wins, else `portName`.
 */
export function probePortFor(
  hc: HealthCheck | undefined,
  target: { namedPorts?: NamedPort[]; servingPort?: number; servingPortName: string },
): { port?: number; error?: string } {
  if (hc === undefined) return { error: 'the backend service has no health check' };
  const { port, portName, portSpecification } = hc.details;
  const named = (name: string) => {
    if (target.namedPorts === undefined)
      return { error: 'named ports do not apply to network endpoint groups' };
    const found = lookup(target.namedPorts, name);
    return found === undefined
      ? { error: `the instance group has no named port "${name}"` }
      : { port: found };
  };
  const fixed = () => {
    const p = port ?? defaultPort(hc.type);
    return p === undefined ? { error: `health check ${hc.name} has no port` } : { port: p };
  };
  switch (portSpecification) {
    case 'USE_FIXED_PORT':
      return fixed();
    case 'USE_SERVING_PORT':
      return target.servingPort === undefined
        ? { error: `the instance group has no named port "${target.servingPortName}"` }
        : { port: target.servingPort };
    case 'USE_NAMED_PORT':
      return portName === undefined ? { error: `health check ${hc.name} has no portName` } : named(portName);
    default:
      return port === undefined && portName !== undefined ? named(portName) : fixed();
  }
}

/** Every instance behind a backend service (instance groups and GCE_VM_IP_PORT NEGs; serverless NEGs have none). */
export function healthTargets(project: Project, bs: BackendService): HealthTarget[] {
  const hc = healthCheckOf(project, bs);
  const targets: HealthTarget[] = [];
  for (const backend of bs.backends) {
    const ref = parseResourceUrl(backend.group);
    const name = ref?.name ?? resourceName(backend.group);
    if (ref === undefined || ref.kind === 'instanceGroups') {
      const group = project.instanceGroups.get(name);
      if (group === undefined) continue;
      const groupLocation = group.zone ?? group.region ?? '';
      const servingPort = lookup(group.namedPorts, bs.portName);
      for (const instanceName of group.instances) {
        const instance = project.instances.get(instanceName);
        if (instance === undefined) continue;
        const probe = probePortFor(hc, {
          namedPorts: group.namedPorts,
          servingPort,
          servingPortName: bs.portName,
        });
        targets.push({
          instance,
          groupUrl: selfLink(project.projectId, 'instanceGroups', group.name, groupLocation),
          groupKind: 'instanceGroup',
          groupName: group.name,
          groupId: group.id,
          zone: instance.zone,
          groupLocation,
          key: healthKey(bs.name, 'instanceGroup', group.name, instance.name),
          ...(servingPort === undefined ? {} : { servingPort }),
          ...(probe.port === undefined ? {} : { probePort: probe.port }),
          ...(probe.error === undefined ? {} : { probePortError: probe.error }),
        });
      }
    } else if (ref.kind === 'networkEndpointGroups') {
      const neg = project.networkEndpointGroups.get(name);
      if (neg === undefined || neg.networkEndpointType !== 'GCE_VM_IP_PORT') continue;
      for (const endpoint of neg.endpoints) {
        const instance = project.instances.get(endpoint.instance);
        if (instance === undefined) continue;
        const probe = probePortFor(hc, { servingPort: endpoint.port, servingPortName: bs.portName });
        targets.push({
          instance,
          groupUrl: selfLink(project.projectId, 'networkEndpointGroups', neg.name, neg.zone),
          groupKind: 'neg',
          groupName: neg.name,
          groupId: neg.id,
          zone: neg.zone ?? instance.zone,
          groupLocation: neg.zone ?? instance.zone,
          key: healthKey(bs.name, 'neg', neg.name, instance.name, endpoint.port),
          servingPort: endpoint.port,
          ...(probe.port === undefined ? {} : { probePort: probe.port }),
          ...(probe.error === undefined ? {} : { probePortError: probe.error }),
        });
      }
    }
  }
  return targets;
}

export function firewallTargetOf(instance: Instance): FirewallTarget {
  return {
    network: instance.network,
    tags: instance.tags,
    serviceAccounts: instance.serviceAccounts,
    ip: instance.networkIP,
  };
}

interface Deps {
  timeScale: number;
  random: () => number;
  logs: (projectId: string) => LogStore | undefined;
}

export class HealthChecker {
  private readonly nextDue = new Map<string, number>();
  private readonly inflight = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(private readonly deps: Deps) {}

  /** At scenario load: one probe round whose results become the state directly (steady state). */
  async initialRound(project: Project): Promise<void> {
    await Promise.all([...project.backendServices.keys()].map((bs) => this.round(project, bs, true)));
  }

  /** Starts a probe round for every backend service whose interval has passed (re-reading its health check). */
  tick(project: Project, now: number): void {
    if (this.stopped) return;
    for (const bs of project.backendServices.values()) {
      const key = `${project.projectId}/${bs.name}`;
      if (this.inflight.has(key) || now < (this.nextDue.get(key) ?? 0)) continue;
      const intervalSec = healthCheckOf(project, bs)?.checkIntervalSec ?? 5;
      this.nextDue.set(key, now + intervalSec * 1000 * this.deps.timeScale);
      const round = this.round(project, bs.name, false)
        .catch((error: unknown) => console.error(`health round ${key} failed:`, error))
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, round);
    }
    for (const key of project.health.keys()) {
      if (!project.backendServices.has(key.slice(0, key.indexOf('/')))) project.health.delete(key);
    }
  }

  /** Stops starting rounds and waits for the running ones (each is bounded by its probe timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.inflight.values());
  }

  private async round(project: Project, bsName: string, initial: boolean): Promise<void> {
    const bs = project.backendServices.get(bsName);
    if (bs === undefined) return;
    const hc = healthCheckOf(project, bs);
    const targets = healthTargets(project, bs);
    const outcomes = await Promise.all(targets.map((target) => this.check(project, hc, target)));
    if (this.stopped && !initial) return;
    if (!project.backendServices.has(bsName)) return;
    const seen = new Set<string>();
    targets.forEach((target, i) => {
      const outcome = outcomes[i];
      if (outcome === undefined) return;
      seen.add(target.key);
      this.record(project, hc, target, target.key, outcome, initial);
    });
    for (const key of project.health.keys()) {
      if (key.startsWith(`${bsName}/`) && !seen.has(key)) project.health.delete(key);
    }
  }

  private record(
    project: Project,
    hc: HealthCheck | undefined,
    target: HealthTarget,
    key: string,
    outcome: ProbeOutcome,
    initial: boolean,
  ): void {
    const previous = project.health.get(key);
    const successes = outcome.ok ? (previous?.consecutiveSuccesses ?? 0) + 1 : 0;
    const failures = outcome.ok ? 0 : (previous?.consecutiveFailures ?? 0) + 1;
    // A backend added after load starts UNHEALTHY and needs healthyThreshold passes, like a new GCP backend.
    const before: HealthState = previous?.state ?? 'UNHEALTHY';
    let state = before;
    if (initial) state = outcome.ok ? 'HEALTHY' : 'UNHEALTHY';
    else if (before === 'UNHEALTHY' && outcome.ok && successes >= (hc?.healthyThreshold ?? DEFAULT_THRESHOLD))
      state = 'HEALTHY';
    else if (before === 'HEALTHY' && !outcome.ok && failures >= (hc?.unhealthyThreshold ?? DEFAULT_THRESHOLD))
      state = 'UNHEALTHY';
    const next: ProbeRecord = {
      state,
      consecutiveSuccesses: successes,
      consecutiveFailures: failures,
      lastResult: outcome.text,
      lastProbeAt: new Date().toISOString(),
      group: target.groupUrl,
      ipAddress: target.instance.networkIP,
      // The detailed state belongs to the state: it changes with a transition, not with every probe.
      detailedState:
        initial || state !== before ? outcome.detailed : (previous?.detailedState ?? outcome.detailed),
      ...(target.servingPort === undefined ? {} : { port: target.servingPort }),
      ...(target.probePort === undefined ? {} : { probePort: target.probePort }),
    };
    project.health.set(key, next);
    if (!initial && state !== before) {
      this.deps
        .logs(project.projectId)
        ?.add(transitionLogEntry(project, hc, target, outcome, next, previous));
    }
  }

  private async check(
    project: Project,
    hc: HealthCheck | undefined,
    target: HealthTarget,
  ): Promise<ProbeOutcome> {
    const range = PROBE_RANGES[Math.floor(this.deps.random() * PROBE_RANGES.length)] ?? PROBE_RANGES[0];
    const sourceIp = randomAddress(range, this.deps.random);
    const fail = (detailed: DetailedState, text: string): ProbeOutcome => ({
      ok: false,
      detailed,
      text,
      sourceIp,
    });
    if (hc === undefined) return fail('UNHEALTHY', 'the backend service has no health check');
    const port = target.probePort;
    if (port === undefined) return fail('UNHEALTHY', target.probePortError ?? 'no probe port');
    const { instance } = target;
    const verdict = probeVerdict(firewallContext(project), firewallTargetOf(instance), port);
    if (!verdict.allowed) {
      const dropped = verdict.sources.find((s) => !s.allowed);
      // A dropped probe gets no answer at all: GCP logs it as TIMEOUT.
      return {
        ...fail(
          'TIMEOUT',
          `Timeout waiting for connect (probe from ${dropped?.range ?? 'the probe ranges'} to tcp:${port} dropped by firewall rule ${verdict.rule})`,
        ),
        targetPort: port,
      };
    }
    if (instance.status !== 'RUNNING')
      return {
        ...fail('TIMEOUT', 'Timeout waiting for connect (instance is not running)'),
        targetPort: port,
      };
    const timeoutMs = Math.max(hc.timeoutSec * 1000 * this.deps.timeScale, PROBE_TIMEOUT_FLOOR_MS);
    const probe = await sendProbe(hc, instance.networkIP, port, timeoutMs);
    return { ...probe, sourceIp, targetPort: port };
  }
}

/** A health-check transition log entry (gcp-facts §4; written only on transitions, never for UNKNOWN). */
function transitionLogEntry(
  project: Project,
  hc: HealthCheck | undefined,
  target: HealthTarget,
  outcome: ProbeOutcome,
  next: ProbeRecord,
  previous: ProbeRecord | undefined,
): NewLogEntry {
  const now = new Date();
  const resource: NewLogEntry['resource'] =
    target.groupKind === 'instanceGroup'
      ? {
          type: 'gce_instance_group',
          labels: {
            instance_group_id: target.groupId,
            instance_group_name: target.groupName,
            location: target.groupLocation,
            project_id: project.projectId,
          },
        }
      : {
          type: 'gce_network_endpoint_group',
          labels: {
            network_endpoint_group_id: target.groupId,
            network_endpoint_group_name: target.groupName,
            location: target.zone,
            project_id: project.projectId,
          },
        };
  const previousState = previous?.state ?? 'UNHEALTHY';
  // GCP writes these only when the health check's logConfig.enable is true; the simulator always does.
  return {
    logName: `projects/${project.projectId}/logs/compute.googleapis.com%2Fhealthchecks`,
    resource,
    timestamp: now.toISOString(),
    receiveTimestamp: now.toISOString(),
    severity: 'INFO',
    jsonPayload: {
      healthCheckProbeResult: {
        ipAddress: target.instance.networkIP,
        healthCheckProtocol: hc?.type ?? 'HTTP',
        healthState: next.state,
        previousHealthState: previousState,
        detailedHealthState: outcome.detailed,
        previousDetailedHealthState: previous?.detailedState ?? previousState,
        probeRequest: hc?.details.requestPath ?? '/',
        probeResultText: outcome.text,
        probeSourceIp: outcome.sourceIp,
        targetIp: target.instance.networkIP,
        ...(outcome.targetPort === undefined ? {} : { targetPort: outcome.targetPort }),
        ...(outcome.connectLatencyMs === undefined
          ? {}
          : { connectLatency: durationString(outcome.connectLatencyMs) }),
        ...(outcome.responseLatencyMs === undefined
          ? {}
          : { responseLatency: durationString(outcome.responseLatencyMs) }),
        probeCompletionTimestamp: now.toISOString(),
      },
    },
  };
}
