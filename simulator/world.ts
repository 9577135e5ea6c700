/**
 * The simulated Google Cloud: projects built from scenarios, the apps on their VMs, the health
 * checker and the load balancers' traffic. The HTTP layer reads and mutates `world.projects` and
 * calls `instanceChanged` after changing an instance's app; the engine does the rest on its clock.
 */
import { createHash, randomBytes } from 'node:crypto';
import type {
  BackendService,
  Firewall,
  HealthCheck,
  HealthCheckDetails,
  Instance,
  InstanceGroup,
  NetworkEndpointGroup,
  Project,
  Subnetwork,
} from './model';
import { AlertEvaluator } from './alerting';
import { AppHost } from './apps';
import { HealthChecker } from './health';
import { formatIPv4, parseIPv4 } from './ip';
import type { Scenario } from './scenario';
import { buildNetworking } from './scenario-firewall-policies';
import { firewallPolicySummary } from './firewall-policy';
import { LogStore } from './telemetry';
import type { LogEntryJson } from './telemetry';
import { MetricStore, TrafficGenerator } from './traffic';
import type { Telemetry, TimeSeriesJson } from './traffic';
import { networkLink, resourceName, selfLink } from './urls';
import { workerConnection } from './worker';

export interface WorldOptions {
  /** Real milliseconds per simulated millisecond (0.02: a 5 s health-check interval takes 100 ms). */
  timeScale?: number;
  /** Seed for the simulation's randomness (traffic mix, addresses); random when omitted. */
  seed?: number;
}

/** A small seeded PRNG (mulberry32): reproducible traffic for a given seed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A resource fingerprint as Compute shows them (8 random bytes, base64); change it on every update. */
export function newFingerprint(): string {
  return randomBytes(8).toString('base64');
}

/** A stable 12-digit project number derived from the project id. */
function projectNumberOf(projectId: string): string {
  const digest = createHash('sha256').update(projectId).digest();
  return String(100_000_000_000 + (digest.readUIntBE(0, 6) % 900_000_000_000));
}

/** The frontends' TEST-NET-2 addresses (198.51.100.0/24): shown in logs, never connected to. */
const FRONTEND_BASE = parseIPv4('198.51.100.10') ?? 0;

export class World {
  readonly timeScale: number;
  readonly projects = new Map<string, Project>();
  private readonly telemetry = new Map<string, Telemetry>();
  private readonly random: () => number;
  private readonly apps: AppHost;
  private readonly health: HealthChecker;
  private readonly traffic: TrafficGenerator;
  /** Simulated Cloud Monitoring alerting over the projects' alert policies (alerting.ts). */
  readonly alerting: AlertEvaluator;
  private timer: NodeJS.Timeout | undefined;
  private lastTick = 0;
  private idSequence = 0;
  private readonly idBase: bigint;
  private frontends = 0;
  private stopped = false;
  private readonly loading = new Set<string>();

  constructor(opts: WorldOptions = {}) {
    this.timeScale = opts.timeScale ?? 0.02;
    if (!(this.timeScale > 0)) throw new Error(`timeScale must be positive, got ${this.timeScale}`);
    this.random = mulberry32(opts.seed ?? Math.floor(Math.random() * 2 ** 32));
    this.apps = new AppHost(this.timeScale, (projectId, instanceName, source, port) =>
      workerConnection(this.projects.get(projectId), instanceName, source, port),
    );
    this.health = new HealthChecker({
      timeScale: this.timeScale,
      random: this.random,
      logs: (projectId) => this.telemetry.get(projectId)?.logs,
    });
    this.traffic = new TrafficGenerator(this.random);
    this.alerting = new AlertEvaluator(this.timeScale);
    this.alerting.projectOf = (id) => this.projects.get(id);
    this.idBase = 1_000_000_000_000_000_000n + BigInt(Math.floor(this.random() * 1e15)) * 1000n;
  }

  /** Real milliseconds for a simulated duration. */
  scaled(simMs: number): number {
    return simMs * this.timeScale;
  }

  /** A fresh numeric resource id (Compute ids are uint64 shown as strings). */
  newId(): string {
    this.idSequence += 1;
    return (this.idBase + BigInt(this.idSequence)).toString();
  }

  /**
   * Adds a scenario's project: builds its resources, starts its apps, runs one probe round (so health
   * is already steady) and backfills ten minutes of traffic (so logs and metrics exist at once).
   */
  async load(scenario: Scenario): Promise<Project> {
    if (this.stopped) throw new Error('this World has been stopped');
    if (this.projects.has(scenario.project) || this.loading.has(scenario.project)) {
      throw new Error(`project ${scenario.project} is already loaded`);
    }
    this.loading.add(scenario.project);
    try {
      return await this.loadProject(scenario);
    } finally {
      this.loading.delete(scenario.project);
    }
  }

  private async loadProject(scenario: Scenario): Promise<Project> {
    const project = this.build(scenario);
    try {
      for (const instance of project.instances.values()) {
        instance.networkIP = await this.apps.allocateAddress();
        await this.apps.start(project.projectId, instance);
      }
      project.worker.loopbackAddress = await this.apps.allocateAddress();
      await this.health.initialRound(project);
    } catch (error) {
      for (const instance of project.instances.values())
        await this.apps.stop(project.projectId, instance.name);
      throw error;
    }
    const telemetry: Telemetry = {
      logs: new LogStore(),
      metrics: new MetricStore(),
      alertMetrics: this.alerting.sampleStore(),
      onRequestLog: (entry) => this.alerting.logEntry(project, entry),
    };
    this.traffic.backfill(project, telemetry, Date.now());
    this.telemetry.set(project.projectId, telemetry);
    this.projects.set(project.projectId, project);
    return project;
  }

  /** Removes a project: its apps stop, its logs and metrics go. */
  async unload(projectId: string): Promise<void> {
    const project = this.projects.get(projectId);
    if (project === undefined) return;
    this.projects.delete(projectId);
    this.telemetry.delete(projectId);
    this.traffic.forget(projectId);
    for (const instance of project.instances.values()) await this.apps.stop(projectId, instance.name);
  }

  /** Starts the clock: one tick per simulated second drives the health checker and the traffic. */
  async start(): Promise<void> {
    if (this.stopped) throw new Error('this World has been stopped');
    if (this.timer !== undefined) return;
    this.lastTick = Date.now();
    this.timer = setInterval(() => this.tick(), Math.max(this.scaled(1000), 5));
    this.timer.unref();
  }

  /** Stops the clock, waits for running probes and closes every app. A stopped World stays stopped. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.alerting.stop();
    await this.health.stop();
    await this.apps.closeAll();
  }

  private tick(): void {
    const now = Date.now();
    // Timers drift; traffic follows the simulated time that really passed (bounded after a stall).
    const simulatedSeconds = Math.min((now - this.lastTick) / this.scaled(1000), 5);
    const from = this.lastTick;
    this.lastTick = now;
    for (const project of this.projects.values()) {
      const telemetry = this.telemetry.get(project.projectId);
      if (telemetry !== undefined) this.traffic.tick(project, telemetry, from, now, simulatedSeconds);
      this.health.tick(project, now);
      this.alerting.tick(project, telemetry?.alertMetrics, now);
    }
  }

  /** Every log entry of a project (request logs and health-check transitions), oldest first. */
  logEntries(projectId: string): LogEntryJson[] {
    return this.telemetry.get(projectId)?.logs.entries() ?? [];
  }

  /** Every time series of a project (request_count, backend_latencies), points newest first. */
  timeSeries(projectId: string): TimeSeriesJson[] {
    return this.telemetry.get(projectId)?.metrics.timeSeries(Date.now()) ?? [];
  }

  /**
   * Call after changing an instance (its app spec, status, or deleting it): its app restarts with the
   * new spec (or stops when the instance is gone, not RUNNING or its app not running).
   */
  async instanceChanged(projectId: string, instanceName: string): Promise<void> {
    const instance = this.projects.get(projectId)?.instances.get(instanceName);
    if (instance === undefined) await this.apps.stop(projectId, instanceName);
    else await this.apps.restart(projectId, instance);
  }

  /** A plain-text listing of the projects and their resources (for the start banner). */
  summary(): string {
    const lines: string[] = [];
    for (const p of this.projects.values()) {
      lines.push(
        `project ${p.projectId} (#${p.projectNumber})${p.scenarioName ? `, scenario ${p.scenarioName}` : ''}`,
        `  lbmedic worker ${p.worker.ipAddress}${p.worker.tags.length ? ` tags ${p.worker.tags.join(',')}` : ''}: ` +
          `in-VPC probes bound to ${p.worker.loopbackAddress} meet the firewall`,
      );
      for (const bs of p.backendServices.values()) {
        const hc = bs.healthChecks.map(resourceName).join(', ') || 'none';
        lines.push(
          `  backend service ${bs.region === undefined ? '' : `${bs.region}/`}${bs.name} (${bs.loadBalancingScheme} ${bs.protocol}): portName ${bs.portName}, timeout ${bs.timeoutSec}s, health check ${hc}; ` +
            `frontend ${bs.frontend.forwardingRule} (${bs.frontend.ipAddress ?? '-'}) → ${bs.frontend.targetProxy} → ${bs.frontend.urlMap}`,
        );
        for (const backend of bs.backends) {
          const name = resourceName(backend.group);
          const group = p.instanceGroups.get(name);
          if (group !== undefined) {
            const ports = group.namedPorts.map((np) => `${np.name}:${np.port}`).join(', ') || 'none';
            lines.push(
              `    instance group ${group.zone ?? group.region ?? ''}/${group.name}${group.managerName ? ' (managed)' : ''}, named ports ${ports}`,
            );
            for (const instanceName of group.instances) {
              const instance = p.instances.get(instanceName);
              if (instance === undefined) continue;
              const state = p.health.get(`${bs.name}/${instance.name}`)?.state ?? 'UNKNOWN';
              const app = instance.app.running
                ? `app${instance.app.protocol === undefined || instance.app.protocol === 'HTTP' ? '' : ` ${instance.app.protocol}`} :${instance.app.port} ${instance.app.paths.join(' ')}`
                : 'app down';
              lines.push(
                `      ${instance.name} ${instance.networkIP} ${app} keepalive ${instance.app.keepaliveSec}s: ${state}`,
              );
            }
          }
          const neg = p.networkEndpointGroups.get(name);
          if (neg !== undefined) {
            const target = neg.cloudRun
              ? `Cloud Run ${neg.cloudRun.service}${neg.targetExists ? '' : ' (missing)'}`
              : neg.remote !== undefined
                ? `${neg.externalEndpoints?.length ?? 0} external endpoints, ${neg.remote.reachable ? `answering ${neg.remote.status}` : 'unreachable'}`
                : `${neg.endpoints.length} endpoints`;
            lines.push(
              `    NEG ${neg.region ?? neg.zone ?? 'global'}/${neg.name} ${neg.networkEndpointType}: ${target}`,
            );
          }
        }
      }
      for (const hc of p.healthChecks.values()) {
        const port =
          hc.details.portSpecification === 'USE_SERVING_PORT'
            ? 'serving port'
            : `port ${hc.details.port ?? hc.details.portName ?? '-'}`;
        lines.push(
          `  health check ${hc.name}: ${hc.type} ${port} ${hc.details.requestPath ?? ''} every ${hc.checkIntervalSec}s, ` +
            `timeout ${hc.timeoutSec}s, ${hc.healthyThreshold}/${hc.unhealthyThreshold}`,
        );
      }
      for (const fw of p.firewalls.values()) {
        const verb = fw.allowed?.length ? 'ALLOW' : 'DENY';
        const rules = (fw.allowed ?? fw.denied ?? [])
          .map((r) => `${r.IPProtocol}${r.ports?.length ? `:${r.ports.join(',')}` : ''}`)
          .join(' ');
        const from =
          [...(fw.sourceRanges ?? []), ...(fw.sourceTags ?? []).map((t) => `tag:${t}`)].join(',') ||
          'anywhere';
        const to = fw.targetTags?.length ? ` to tags ${fw.targetTags.join(',')}` : '';
        lines.push(
          `  firewall ${fw.name}: ${fw.direction} ${verb} ${rules} from ${from}${to}, priority ${fw.priority}${fw.disabled ? ' (disabled)' : ''}`,
        );
      }
      lines.push(...firewallPolicySummary(p));
    }
    return lines.join('\n');
  }

  /** All state as plain JSON (maps become objects keyed by name). */
  snapshot(): WorldSnapshot {
    const projects: Record<string, ProjectSnapshot> = {};
    for (const p of this.projects.values()) {
      const plain = Object.fromEntries(
        Object.entries(p).map(([key, value]) => [
          key,
          value instanceof Map ? Object.fromEntries(value) : value,
        ]),
      );
      const logEntryCount = this.telemetry.get(p.projectId)?.logs.size ?? 0;
      projects[p.projectId] = structuredClone({ ...plain, logEntryCount }) as ProjectSnapshot;
    }
    return { timeScale: this.timeScale, running: this.timer !== undefined, projects };
  }

  /** Builds a project from a scenario (no I/O: apps start in `load`). */
  private build(scenario: Scenario): Project {
    const s = structuredClone(scenario);
    const projectId = s.project;
    const created = new Date(Date.now() - 30 * 24 * 3600 * 1000).toISOString();
    const network = networkLink(projectId, s.network);
    const project: Project = {
      projectId,
      projectNumber: s.projectNumber ?? projectNumberOf(projectId),
      scenarioName: s.name,
      firewalls: new Map(),
      ...buildNetworking(s, projectId, () => this.newId(), created),
      healthChecks: new Map(),
      backendServices: new Map(),
      instanceGroups: new Map(),
      instances: new Map(),
      networkEndpointGroups: new Map(),
      traffic: new Map(),
      health: new Map(),
      subnetworks: new Map(),
      worker: {
        ipAddress: s.worker.ipAddress,
        network: s.worker.network === undefined ? network : networkLink(projectId, s.worker.network),
        tags: s.worker.tags,
        serviceAccounts: s.worker.serviceAccounts,
        loopbackAddress: '', // assigned in load()
      },
      notificationChannels: new Map(),
      alertPolicies: new Map(),
    };

    for (const spec of s.subnetworks) {
      const subnet: Subnetwork = {
        id: this.newId(),
        name: spec.name,
        region: spec.region,
        network: spec.network === undefined ? network : networkLink(projectId, spec.network),
        ipCidrRange: spec.ipCidrRange,
        purpose: spec.purpose,
        ...(spec.role === undefined ? {} : { role: spec.role }),
        fingerprint: newFingerprint(),
        creationTimestamp: created,
      };
      project.subnetworks.set(subnet.name, subnet);
    }

    for (const spec of s.healthChecks) {
      const fixed =
        spec.portSpecification === 'USE_FIXED_PORT' ||
        (spec.portSpecification === undefined && spec.portName === undefined);
      const defaultPort =
        spec.type === 'HTTP' || spec.type === 'TCP' ? 80 : spec.type === 'GRPC' ? undefined : 443;
      const port = spec.port ?? (fixed ? defaultPort : undefined);
      const details: HealthCheckDetails = {
        ...(port === undefined ? {} : { port }),
        ...(spec.portName === undefined ? {} : { portName: spec.portName }),
        ...(spec.portSpecification === undefined ? {} : { portSpecification: spec.portSpecification }),
        ...(spec.type === 'TCP' || spec.type === 'SSL' || spec.type === 'GRPC'
          ? {}
          : { requestPath: spec.requestPath }),
        ...(spec.host === undefined ? {} : { host: spec.host }),
        ...(spec.response === undefined ? {} : { response: spec.response }),
        proxyHeader: spec.proxyHeader ?? 'NONE',
      };
      const hc: HealthCheck = {
        id: this.newId(),
        name: spec.name,
        ...(spec.region === undefined ? {} : { region: spec.region }),
        type: spec.type,
        checkIntervalSec: spec.checkIntervalSec,
        timeoutSec: spec.timeoutSec,
        healthyThreshold: spec.healthyThreshold,
        unhealthyThreshold: spec.unhealthyThreshold,
        details,
        ...(spec.description === undefined ? {} : { description: spec.description }),
        creationTimestamp: created,
      };
      project.healthChecks.set(hc.name, hc);
    }

    for (const spec of s.firewalls) {
      const fw: Firewall = {
        ...spec,
        id: this.newId(),
        network: spec.network === undefined ? network : networkLink(projectId, spec.network),
        creationTimestamp: created,
      };
      project.firewalls.set(fw.name, fw);
    }

    for (const spec of s.instanceGroups) {
      const groupNetwork = spec.network === undefined ? network : networkLink(projectId, spec.network);
      for (const [index, i] of spec.instances.entries()) {
        // A regional group spreads its instances over the region's zones (-a, -b, -c), like a
        // regional MIG's default distribution, unless the scenario places them.
        const zone = i.zone ?? spec.zone ?? `${spec.region ?? ''}-${'abc'[index % 3] ?? 'a'}`;
        const instance: Instance = {
          id: this.newId(),
          name: i.name,
          zone,
          networkIP: '', // assigned in load()
          network: groupNetwork,
          tags: i.tags,
          serviceAccounts: i.serviceAccounts,
          status: i.status,
          app: i.app,
          creationTimestamp: created,
        };
        project.instances.set(instance.name, instance);
      }
      const group: InstanceGroup = {
        id: this.newId(),
        name: spec.name,
        ...(spec.zone === undefined ? {} : { zone: spec.zone }),
        ...(spec.region === undefined ? {} : { region: spec.region }),
        network: groupNetwork,
        namedPorts: spec.namedPorts,
        instances: spec.instances.map((i) => i.name),
        ...(spec.managed ? { managerName: spec.name } : {}),
        fingerprint: newFingerprint(),
        creationTimestamp: created,
      };
      project.instanceGroups.set(group.name, group);
    }

    const cloudRun = new Set(s.cloudRunServices.map((service) => `${service.region}/${service.name}`));
    for (const spec of s.networkEndpointGroups) {
      const neg: NetworkEndpointGroup = {
        id: this.newId(),
        name: spec.name,
        ...(spec.zone === undefined ? {} : { zone: spec.zone }),
        ...(spec.region === undefined ? {} : { region: spec.region }),
        networkEndpointType: spec.networkEndpointType,
        // Serverless and internet NEGs belong to no VPC network.
        ...(spec.networkEndpointType === 'SERVERLESS' || spec.networkEndpointType.startsWith('INTERNET_')
          ? {}
          : { network: spec.network === undefined ? network : networkLink(projectId, spec.network) }),
        ...(spec.defaultPort === undefined ? {} : { defaultPort: spec.defaultPort }),
        ...(spec.cloudRun === undefined ? {} : { cloudRun: spec.cloudRun }),
        endpoints: spec.endpoints,
        targetExists:
          spec.cloudRun !== undefined && cloudRun.has(`${spec.region ?? ''}/${spec.cloudRun.service}`),
        ...(spec.networkEndpointType === 'SERVERLESS' || spec.networkEndpointType === 'GCE_VM_IP_PORT'
          ? {}
          : {
              externalEndpoints: spec.externalEndpoints,
              remote: spec.remote ?? { reachable: true, status: 200, latencyMs: 40 },
            }),
        creationTimestamp: created,
      };
      project.networkEndpointGroups.set(neg.name, neg);
    }

    for (const spec of s.backendServices) {
      const bs: BackendService = {
        id: this.newId(),
        name: spec.name,
        ...(spec.region === undefined ? {} : { region: spec.region }),
        protocol: spec.protocol,
        portName: spec.portName,
        port: spec.port,
        timeoutSec: spec.timeoutSec,
        loadBalancingScheme: spec.loadBalancingScheme,
        backends: spec.backends.map((b) => {
          let group: string;
          if (b.instanceGroup !== undefined) {
            const ig = project.instanceGroups.get(b.instanceGroup);
            group = selfLink(projectId, 'instanceGroups', b.instanceGroup, ig?.zone ?? ig?.region);
          } else {
            const neg = project.networkEndpointGroups.get(b.neg ?? '');
            group = selfLink(projectId, 'networkEndpointGroups', b.neg ?? '', neg?.zone ?? neg?.region);
          }
          return { group, balancingMode: b.balancingMode, capacityScaler: b.capacityScaler };
        }),
        healthChecks: spec.healthChecks.map((hc) =>
          selfLink(projectId, 'healthChecks', hc, project.healthChecks.get(hc)?.region),
        ),
        logConfig: spec.logConfig,
        fingerprint: newFingerprint(),
        ...(spec.description === undefined ? {} : { description: spec.description }),
        frontend: {
          forwardingRule: spec.frontend?.forwardingRule ?? `${spec.name}-fr`,
          targetProxy: spec.frontend?.targetProxy ?? `${spec.name}-proxy`,
          urlMap: spec.frontend?.urlMap ?? `${spec.name}-map`,
          ipAddress: formatIPv4(FRONTEND_BASE + (this.frontends++ % 240)),
        },
        creationTimestamp: created,
      };
      project.backendServices.set(bs.name, bs);
      project.traffic.set(bs.name, spec.traffic);
    }
    return project;
  }
}

/** A Project as plain JSON: every Map becomes an object keyed by name. */
export type ProjectSnapshot = {
  [K in keyof Project]: Project[K] extends Map<string, infer V> ? Record<string, V> : Project[K];
} & { logEntryCount: number };

export interface WorldSnapshot {
  timeScale: number;
  running: boolean;
  projects: Record<string, ProjectSnapshot>;
}
