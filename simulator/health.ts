/**
 * The health checker, computed the way GCP does it (gcp-facts §1, §2, §4): for every backend service,
 * every instance behind it is probed on the port its health check's portSpecification names; the probe
 * comes from 35.191.0.0/16 and 130.211.0.0/22 and must be admitted by the firewall; an HTTP probe is a
 * real GET to the instance's app that passes only on 200 within timeoutSec (and with the expected
 * `response` text, if set). A backend flips after healthyThreshold / unhealthyThreshold consecutive
 * results, one probe every checkIntervalSec. State lives in `project.health` (`${bs}/${instance}`).
 *
 * Modelling choice — the serving port: GCP's getHealth reports `port` = the group's named port for
 * the backend service's portName, which is where the load balancer sends requests. Real GCP judges
 * health by the probe alone, so a fixed-port health check can call a backend HEALTHY while its named
 * port serves nothing (requests then fail `failed_to_connect_to_backend`). The simulator instead
 * treats a backend whose serving port does not accept connections from the load balancer's ranges as
 * failing its checks, so a wrong named port shows in getHealth like the other causes do. A backend is
 * therefore HEALTHY only when the probe port serves, the firewall admits it, AND the named port serves.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
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
import { SIMULATED_LATENCY_HEADER } from './apps';
import { firewallContext, probeVerdict } from './firewall';
import type { FirewallTarget } from './firewall';
import { randomAddress } from './ip';
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
const USER_AGENT = 'GoogleHC/1.0'; // unverified (gcp-facts §2): seen in community configs

type DetailedState = 'HEALTHY' | 'UNHEALTHY' | 'TIMEOUT';

/** One instance (or NEG endpoint) behind a backend service, with the ports that matter for it. */
export interface HealthTarget {
  instance: Instance;
  /** Full URL of the instance group or NEG. */
  groupUrl: string;
  groupKind: 'instanceGroup' | 'neg';
  groupName: string;
  groupId: string;
  zone: string;
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
          groupUrl: selfLink(project.projectId, 'instanceGroups', group.name, group.zone),
          groupKind: 'instanceGroup',
          groupName: group.name,
          groupId: group.id,
          zone: group.zone,
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

/**
 * Can the load balancer reach the target's serving port? GFE traffic comes from the probe ranges
 * (gcp-facts §2), so the firewall must admit them, and something must listen there.
 */
export async function servingPortReachable(
  project: Project,
  target: HealthTarget,
  timeoutMs: number,
): Promise<{ ok: boolean; text: string }> {
  if (target.servingPort === undefined) {
    return { ok: false, text: 'the instance group has no named port for the backend service' };
  }
  const verdict = probeVerdict(
    firewallContext(project),
    firewallTargetOf(target.instance),
    target.servingPort,
  );
  if (!verdict.allowed) {
    return {
      ok: false,
      text: `traffic to serving port ${target.servingPort} is dropped by firewall (${verdict.rule})`,
    };
  }
  const result = await tcpConnect(target.instance.networkIP, target.servingPort, timeoutMs);
  return result.ok
    ? { ok: true, text: `serving port ${target.servingPort} accepts connections` }
    : { ok: false, text: `serving port ${target.servingPort} does not accept connections (${result.text})` };
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
      const key = `${bsName}/${target.instance.name}`;
      seen.add(key);
      this.record(project, hc, target, key, outcome, initial);
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
    const outcome: ProbeOutcome = { ...probe, sourceIp, targetPort: port };
    if (!outcome.ok || target.servingPort === port) return outcome;
    const serving = await servingPortReachable(project, target, timeoutMs);
    return serving.ok
      ? outcome
      : { ...outcome, ok: false, detailed: 'UNHEALTHY', text: `${probe.text}; but ${serving.text}` };
  }
}

type ProbeResult = Omit<ProbeOutcome, 'sourceIp' | 'targetPort'>;

function sendProbe(hc: HealthCheck, ip: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  switch (hc.type) {
    case 'HTTP':
      return httpProbe(hc, ip, port, timeoutMs);
    case 'TCP':
      return tcpConnect(ip, port, timeoutMs).then((r) => ({ ...r, detailed: r.ok ? 'HEALTHY' : r.detailed }));
    default:
      // The simulated apps speak plain HTTP only, so TLS and gRPC handshakes fail.
      return Promise.resolve({
        ok: false,
        detailed: 'UNHEALTHY',
        text: `${hc.type} probe failed: the backend does not speak ${hc.type}`,
      });
  }
}

function tcpConnect(ip: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect({ host: ip, port });
    const finish = (result: ProbeResult) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(
      () => finish({ ok: false, detailed: 'TIMEOUT', text: 'Timeout waiting for connect' }),
      timeoutMs,
    );
    socket.once('connect', () =>
      finish({
        ok: true,
        detailed: 'HEALTHY',
        text: 'TCP connection succeeded',
        connectLatencyMs: performance.now() - started,
      }),
    );
    socket.once('error', (error: NodeJS.ErrnoException) =>
      finish({
        ok: false,
        detailed: 'UNHEALTHY',
        text: error.code === 'ECONNREFUSED' ? 'Connection refused' : error.message,
      }),
    );
  });
}

function httpProbe(hc: HealthCheck, ip: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  let connectLatencyMs: number | undefined;
  const path = hc.details.requestPath ?? '/';
  // Empty host: the API reference says the Host header is the probe's destination IP (gcp-facts §1).
  const host = hc.details.host ?? `${ip}:${port}`;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve({ ...result, ...(connectLatencyMs === undefined ? {} : { connectLatencyMs }) });
    };
    const req = request({
      host: ip,
      port,
      path,
      method: 'GET',
      agent: false,
      headers: { 'user-agent': USER_AGENT, connection: 'close', host },
    });
    const timer = setTimeout(
      () => finish({ ok: false, detailed: 'TIMEOUT', text: 'Timeout waiting for response' }),
      timeoutMs,
    );
    req.once('socket', (socket) =>
      socket.once('connect', () => (connectLatencyMs = performance.now() - started)),
    );
    req.once('error', (error: NodeJS.ErrnoException) =>
      finish({
        ok: false,
        detailed: 'UNHEALTHY',
        text: error.code === 'ECONNREFUSED' ? 'Connection refused' : `HTTP probe failed: ${error.message}`,
      }),
    );
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      let length = 0;
      res.on('data', (chunk: Buffer) => {
        if (length < 1024) chunks.push(chunk);
        length += chunk.length;
      });
      res.once('error', () => finish({ ok: false, detailed: 'UNHEALTHY', text: 'HTTP response truncated' }));
      res.once('end', () => {
        const responseLatencyMs = performance.now() - started;
        const status = res.statusCode ?? 0;
        // The app states its simulated latency: judging the timeout on it keeps a busy test machine
        // (slow real scheduling) from failing probes, while slow simulated apps still time out.
        const simulatedMs = Number(res.headers[SIMULATED_LATENCY_HEADER] ?? 0);
        const first = Buffer.concat(chunks).subarray(0, 1024).toString('latin1');
        if (simulatedMs > hc.timeoutSec * 1000) {
          finish({ ok: false, detailed: 'TIMEOUT', text: 'Timeout waiting for response', responseLatencyMs });
        } else if (status !== 200) {
          finish({
            ok: false,
            detailed: 'UNHEALTHY',
            text: `HTTP response: ${status}, Error: Probe failed`,
            responseLatencyMs,
          });
        } else if (hc.details.response !== undefined && !first.includes(hc.details.response)) {
          finish({
            ok: false,
            detailed: 'UNHEALTHY',
            text: `HTTP response: 200, Error: Response did not contain "${hc.details.response}"`,
            responseLatencyMs,
          });
        } else {
          finish({ ok: true, detailed: 'HEALTHY', text: 'HTTP response: 200, Success', responseLatencyMs });
        }
      });
    });
    req.end();
  });
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
            location: target.zone,
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
