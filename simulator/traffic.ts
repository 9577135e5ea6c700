/**
 * Synthetic client traffic through each load balancer, and the request logs and metrics that follow
 * from the current state (gcp-facts §9, §10). Requests are not really sent: each one's outcome is
 * computed from health (project.health), the app specs, the firewall and the backend service.
 * Timestamps are real wall-clock times; the time scale only makes simulated seconds shorter, so live
 * traffic arrives `1 / timeScale` times faster per real second than `requestsPerSecond` says.
 *
 * The load balancer picks among HEALTHY backends (health follows the health check alone) and sends
 * each request to the backend's serving port: the group's named port for the backend service's
 * portName, or the NEG endpoint's port. A serving port that nothing listens on, or that the firewall
 * closes to the load balancer's traffic (GFE ranges, or the proxy-only subnet of a regional load
 * balancer: load-balancers.ts), fails with `failed_to_connect_to_backend`
 * (https://cloud.google.com/load-balancing/docs/https/https-logging-monitoring: "The load balancer
 * failed to connect to the backend", also timeouts of the connection phase).
 */
import type { AppProtocol, BackendService, Instance, NetworkEndpointGroup, Project } from './model';
import { GFE_KEEPALIVE_SEC } from './model';
import { pathLatencyMs } from './apps';
import { firewallContext } from './firewall';
import { firewallTargetOf, healthTargets } from './health';
import type { HealthTarget } from './health';
import { randomAddress } from './ip';
import {
  dataPathSources,
  firstDroppedRange,
  loadBalancerKind,
  networkNameOf,
  telemetryNames,
} from './load-balancers';
import type { LogStore, NewLogEntry } from './telemetry';
import { TELEMETRY_MINUTES_KEPT, durationString } from './telemetry';
import { parseResourceUrl, resourceName, sameResource } from './urls';

const LB_LOG_ENTRY_TYPE = 'type.googleapis.com/google.cloud.loadbalancing.type.LoadBalancerLogEntry';
/** Share of requests a backend with a keepalive at or below the GFE's 600 s loses (a modelling choice). */
export const KEEPALIVE_FAILURE_RATE = 0.03;
/** At most this many requests per project per tick, whatever the scenario's rates. */
const MAX_REQUESTS_PER_TICK = 200;
/** Backfill at most this many requests per backend service. */
const MAX_BACKFILL_PER_BACKEND_SERVICE = 6_000;
const MINUTE_MS = 60_000;
const CLIENT_RANGE = '203.0.113.0/24'; // TEST-NET-3: documentation addresses, never connected to
const USER_AGENTS = ['curl/8.5.0', 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0', 'python-requests/2.32.3'];
const SERVERLESS_LATENCY_MS = 45;

/** Buckets of the LB latency distributions (exponential, scale 1 ms, factor 1.4, 66 finite buckets). */
const BUCKETS = { numFiniteBuckets: 66, growthFactor: 1.4, scale: 1 };

export type DistributionJson = {
  count: string;
  mean: number;
  sumOfSquaredDeviation: number;
  bucketOptions: { exponentialBuckets: typeof BUCKETS };
  bucketCounts: string[];
};

export type PointJson = {
  interval: { startTime: string; endTime: string };
  value: { int64Value?: string; doubleValue?: number; distributionValue?: DistributionJson };
};

/** A Monitoring REST `TimeSeries` (gcp-facts §10): int64 values as strings, points newest first. */
export type TimeSeriesJson = {
  metric: { type: string; labels: Record<string, string> };
  resource: { type: string; labels: Record<string, string> };
  metricKind: 'DELTA' | 'GAUGE' | 'CUMULATIVE';
  valueType: 'INT64' | 'DOUBLE' | 'DISTRIBUTION';
  points: PointJson[];
  unit: string;
};

export const REQUEST_COUNT_METRIC = 'loadbalancing.googleapis.com/https/request_count';
export const BACKEND_LATENCIES_METRIC = 'loadbalancing.googleapis.com/https/backend_latencies';

interface BackendLabels {
  name: string;
  type: 'INSTANCE_GROUP' | 'NETWORK_ENDPOINT_GROUP';
  scope: string;
  scopeType: 'ZONE' | 'REGION';
}

/** What happened to one request. */
export interface RequestOutcome {
  status: number;
  statusDetails: string;
  latencyMs: number;
  backend?: BackendLabels;
  serverIp?: string;
  /** Did the request reach a backend (counted in backend_latencies)? */
  reachedBackend: boolean;
}

/** Why a picked instance cannot serve a request right now, as the load balancer logs it. */
interface DataPathFailure {
  statusDetails: string;
  /** Did bytes reach the backend (a closed connection) or not (no connection)? */
  reachedBackend: boolean;
}

type Endpoint =
  | { kind: 'instance'; target: HealthTarget; failure?: DataPathFailure }
  | { kind: 'serverless'; neg: NetworkEndpointGroup }
  | { kind: 'remote'; neg: NetworkEndpointGroup };

/** Where the load balancer can send one backend service's requests right now. */
export interface RoutePlan {
  bs: BackendService;
  endpoints: Endpoint[];
}

const CONNECT_FAILED: DataPathFailure = {
  statusDetails: 'failed_to_connect_to_backend',
  reachedBackend: false,
};

/**
 * What the backend service's protocol meets at an app speaking `app`. The load balancer validates no
 * backend certificate (https://cloud.google.com/load-balancing/docs/backend-authenticated-tls-backend-mtls),
 * so any TLS app serves HTTPS; HTTP2 needs h2 over TLS. Which statusDetails GCP logs for a mismatch is
 * unverified: a failed TLS handshake is taken as a failed connection, plain HTTP answered by a TLS
 * server as a connection closed before any response, and a backend without h2 as
 * `failed_to_negotiate_alpn` (gcp-facts §9: "TLS ALPN failure to backend").
 */
function protocolFailure(bsProtocol: string, app: AppProtocol): DataPathFailure | undefined {
  const tls = app === 'HTTPS' || app === 'HTTP2';
  if (bsProtocol === 'HTTPS' || bsProtocol === 'HTTP2') {
    if (!tls) return CONNECT_FAILED;
    if (bsProtocol === 'HTTP2' && app !== 'HTTP2')
      return { statusDetails: 'failed_to_negotiate_alpn', reachedBackend: false };
    return undefined;
  }
  return tls
    ? { statusDetails: 'backend_connection_closed_before_data_sent_to_client', reachedBackend: true }
    : undefined;
}

/** Can the load balancer's request reach the target's serving port right now, in its protocol? */
function instanceDataPath(
  project: Project,
  bs: BackendService,
  target: HealthTarget,
): DataPathFailure | undefined {
  const { instance, servingPort } = target;
  if (servingPort === undefined || instance.status !== 'RUNNING' || !instance.app.running)
    return CONNECT_FAILED;
  if (instance.app.port !== servingPort) return CONNECT_FAILED;
  const sources = dataPathSources(project, bs, instance.network);
  if (sources.length === 0) return CONNECT_FAILED;
  if (firstDroppedRange(firewallContext(project), firewallTargetOf(instance), servingPort, sources))
    return CONNECT_FAILED;
  return protocolFailure(bs.protocol, instance.app.protocol ?? 'HTTP');
}

/** A hybrid NEG's endpoints pass their health check when the remote answers 200 (they are not probed). */
function remoteHealthy(neg: NetworkEndpointGroup): boolean {
  return neg.remote !== undefined && neg.remote.reachable && neg.remote.status === 200;
}

/**
 * The endpoints the LB picks from: HEALTHY instances of non-drained backends (the health state may
 * lag the truth by the thresholds, so each carries whether its serving port really answers now),
 * serverless NEGs (whose Cloud Run service may be missing), hybrid NEGs whose endpoints pass their
 * health check, and internet NEGs (not health-checked).
 */
export function routePlan(project: Project, bs: BackendService): RoutePlan {
  const live = bs.backends.filter((backend) => backend.capacityScaler > 0);
  const endpoints: Endpoint[] = [];
  for (const target of healthTargets(project, bs)) {
    if (!live.some((backend) => sameResource(backend.group, target.groupUrl))) continue;
    if (project.health.get(target.key)?.state !== 'HEALTHY') continue;
    const failure = instanceDataPath(project, bs, target);
    endpoints.push({ kind: 'instance', target, ...(failure === undefined ? {} : { failure }) });
  }
  for (const backend of live) {
    if (parseResourceUrl(backend.group)?.kind !== 'networkEndpointGroups') continue;
    const neg = project.networkEndpointGroups.get(resourceName(backend.group));
    if (neg === undefined) continue;
    const type = neg.networkEndpointType;
    if (type === 'SERVERLESS') endpoints.push({ kind: 'serverless', neg });
    else if (type === 'NON_GCP_PRIVATE_IP_PORT' && remoteHealthy(neg))
      endpoints.push({ kind: 'remote', neg });
    else if (type === 'INTERNET_FQDN_PORT' || type === 'INTERNET_IP_PORT')
      endpoints.push({ kind: 'remote', neg });
  }
  return { bs, endpoints };
}

function negLabels(neg: NetworkEndpointGroup): BackendLabels {
  return {
    name: neg.name,
    type: 'NETWORK_ENDPOINT_GROUP',
    scope: neg.region ?? neg.zone ?? 'global',
    scopeType: neg.zone === undefined ? 'REGION' : 'ZONE',
  };
}

/** The outcome of one request for `path`, given the route plan. */
export function serveRequest(plan: RoutePlan, path: string, random: () => number): RequestOutcome {
  const endpoint = plan.endpoints[Math.floor(random() * plan.endpoints.length)];
  if (endpoint === undefined) {
    // No healthy backend.
    return {
      status: 502,
      statusDetails: 'failed_to_pick_backend',
      latencyMs: 1 + random() * 2,
      reachedBackend: false,
    };
  }
  const jitter = 0.8 + random() * 0.4;
  if (endpoint.kind === 'serverless') {
    const backend = negLabels(endpoint.neg);
    if (!endpoint.neg.targetExists) {
      // "The serverless NEG request cannot be dispatched ... when the resource name (for example, the
      // Cloud Run functions name) cannot be found": 404, 502 or 503 (LOGMON); which of the three is
      // unverified, 502 is the one a 5xx alert sees.
      return {
        status: 502,
        statusDetails: 'serverless_neg_routing_failed',
        latencyMs: 2 + random() * 3,
        backend,
        reachedBackend: false,
      };
    }
    return {
      status: 200,
      statusDetails: 'response_sent_by_backend',
      latencyMs: SERVERLESS_LATENCY_MS * jitter,
      backend,
      reachedBackend: true,
    };
  }
  if (endpoint.kind === 'remote') {
    const backend = negLabels(endpoint.neg);
    const remote = endpoint.neg.remote ?? { reachable: false, status: 502, latencyMs: 0 };
    if (!remote.reachable) {
      return {
        status: 502,
        statusDetails: 'failed_to_connect_to_backend',
        latencyMs: 5 + random() * 5,
        backend,
        reachedBackend: false,
      };
    }
    return {
      status: remote.status,
      statusDetails: 'response_sent_by_backend',
      latencyMs: remote.latencyMs * jitter,
      backend,
      reachedBackend: true,
    };
  }
  const { target } = endpoint;
  const instance: Instance = target.instance;
  const backend: BackendLabels = {
    name: target.groupName,
    type: target.groupKind === 'instanceGroup' ? 'INSTANCE_GROUP' : 'NETWORK_ENDPOINT_GROUP',
    scope: target.groupLocation,
    scopeType: target.groupLocation === target.zone ? 'ZONE' : 'REGION',
  };
  const common = { backend, serverIp: instance.networkIP };
  if (endpoint.failure !== undefined) {
    return {
      ...common,
      status: 502,
      statusDetails: endpoint.failure.statusDetails,
      latencyMs: 2 + random() * 3,
      reachedBackend: endpoint.failure.reachedBackend,
    };
  }
  const app = instance.app;
  const latency = pathLatencyMs(app, path) * jitter;
  const timeoutMs = plan.bs.timeoutSec * 1000;
  if (latency > timeoutMs) {
    return {
      ...common,
      status: 502,
      statusDetails: 'backend_timeout',
      latencyMs: timeoutMs,
      reachedBackend: true,
    };
  }
  // The GFE keeps idle backend connections for 600 s and backends must keep theirs longer (gcp-facts
  // §10); when the backend closes first, a request that reuses the connection fails.
  if (app.keepaliveSec <= GFE_KEEPALIVE_SEC && random() < KEEPALIVE_FAILURE_RATE) {
    return {
      ...common,
      status: 502,
      statusDetails: 'backend_connection_closed_before_data_sent_to_client',
      latencyMs: latency * random(),
      reachedBackend: true,
    };
  }
  const status = app.paths.includes(path) ? app.status : 404;
  return {
    ...common,
    status,
    statusDetails: 'response_sent_by_backend',
    latencyMs: latency,
    reachedBackend: true,
  };
}

function pickPath(paths: { path: string; weight: number }[], random: () => number): string {
  const total = paths.reduce((sum, p) => sum + p.weight, 0);
  let r = random() * total;
  for (const p of paths) {
    r -= p.weight;
    if (r < 0) return p.path;
  }
  return paths[paths.length - 1]?.path ?? '/';
}

/** Where one load balancer's metrics go: the metric type prefix, the resource type, the fixed labels. */
export interface MetricShape {
  prefix: string;
  resourceType: string;
  labels: Record<string, string>;
}

/** The global external ALB's metrics (https_lb_rule). */
const GLOBAL_SHAPE: MetricShape = {
  prefix: 'loadbalancing.googleapis.com/https/',
  resourceType: 'https_lb_rule',
  labels: { protocol: 'HTTP/1.1', proxy_continent: 'America', cache_result: 'DISABLED' },
};

function metricShape(bs: BackendService): MetricShape {
  const names = telemetryNames(bs);
  if (names.metricResourceType === GLOBAL_SHAPE.resourceType) return GLOBAL_SHAPE;
  // Regional kinds carry no proxy_continent; the regional external one adds client_country.
  return {
    prefix: names.metricPrefix,
    resourceType: names.metricResourceType,
    labels: {
      protocol: 'HTTP/1.1',
      cache_result: 'DISABLED',
      ...(loadBalancerKind(bs) === 'REGIONAL_EXTERNAL' ? { client_country: 'United States' } : {}),
    },
  };
}

interface Cell {
  shape: MetricShape;
  resource: Record<string, string>;
  code: number;
  count: number;
  /** Backend latency accumulators (Welford), for requests that reached a backend. */
  latencyCount: number;
  mean: number;
  m2: number;
  buckets: number[];
}

function bucketIndex(ms: number): number {
  const { scale, growthFactor, numFiniteBuckets } = BUCKETS;
  if (ms < scale) return 0;
  return Math.min(Math.floor(Math.log(ms / scale) / Math.log(growthFactor)) + 1, numFiniteBuckets + 1);
}

/**
 * Request counts and backend latencies of one project, per minute (what timeSeries.list serves) or
 * per `bucketMs` (the alert evaluator's samples: a sampling period on the World's clock).
 */
export class MetricStore {
  private readonly minutes = new Map<number, Map<string, Cell>>();
  private newest = 0;

  constructor(private readonly bucketMs = MINUTE_MS) {}

  record(
    timestampMs: number,
    resource: Record<string, string>,
    outcome: RequestOutcome,
    shape: MetricShape = GLOBAL_SHAPE,
  ): void {
    const minute = timestampMs - (timestampMs % this.bucketMs);
    let cells = this.minutes.get(minute);
    if (cells === undefined) {
      cells = new Map();
      this.minutes.set(minute, cells);
      if (minute > this.newest) {
        this.newest = minute;
        for (const old of this.minutes.keys())
          if (old < minute - TELEMETRY_MINUTES_KEPT * this.bucketMs) this.minutes.delete(old);
      }
    }
    const key = `${shape.prefix}|${JSON.stringify(resource)}|${outcome.status}`;
    let cell = cells.get(key);
    if (cell === undefined) {
      cell = {
        shape,
        resource,
        code: outcome.status,
        count: 0,
        latencyCount: 0,
        mean: 0,
        m2: 0,
        buckets: [],
      };
      cells.set(key, cell);
    }
    cell.count += 1;
    if (!outcome.reachedBackend) return;
    const ms = outcome.latencyMs;
    cell.latencyCount += 1;
    const delta = ms - cell.mean;
    cell.mean += delta / cell.latencyCount;
    cell.m2 += delta * (ms - cell.mean);
    const index = bucketIndex(ms);
    while (cell.buckets.length <= index) cell.buckets.push(0);
    cell.buckets[index] = (cell.buckets[index] ?? 0) + 1;
  }

  /** request_count and backend_latencies series, each with points newest first. */
  timeSeries(now: number): TimeSeriesJson[] {
    const series = new Map<string, TimeSeriesJson>();
    const minutes = [...this.minutes.keys()].sort((a, b) => b - a);
    for (const minute of minutes) {
      const end = Math.max(Math.min(minute + this.bucketMs, now), minute + 1);
      const interval = { startTime: new Date(minute).toISOString(), endTime: new Date(end).toISOString() };
      for (const [key, cell] of this.minutes.get(minute) ?? []) {
        const labels = {
          response_code: String(cell.code),
          response_code_class: String(Math.floor(cell.code / 100) * 100),
          ...cell.shape.labels,
        };
        const count = seriesFor(
          series,
          `count|${key}`,
          `${cell.shape.prefix}request_count`,
          labels,
          cell,
          'INT64',
          '1',
        );
        count.points.push({ interval, value: { int64Value: String(cell.count) } });
        if (cell.latencyCount === 0) continue;
        const latencies = seriesFor(
          series,
          `lat|${key}`,
          `${cell.shape.prefix}backend_latencies`,
          labels,
          cell,
          'DISTRIBUTION',
          'ms',
        );
        latencies.points.push({
          interval,
          value: {
            distributionValue: {
              count: String(cell.latencyCount),
              mean: cell.mean,
              sumOfSquaredDeviation: cell.m2,
              bucketOptions: { exponentialBuckets: BUCKETS },
              bucketCounts: cell.buckets.map(String),
            },
          },
        });
      }
    }
    return [...series.values()];
  }
}

function seriesFor(
  series: Map<string, TimeSeriesJson>,
  key: string,
  type: string,
  labels: Record<string, string>,
  cell: Cell,
  valueType: 'INT64' | 'DISTRIBUTION',
  unit: string,
): TimeSeriesJson {
  let found = series.get(key);
  if (found === undefined) {
    found = {
      metric: { type, labels },
      resource: { type: cell.shape.resourceType, labels: cell.resource },
      metricKind: 'DELTA',
      valueType,
      points: [],
      unit,
    };
    series.set(key, found);
  }
  return found;
}

/**
 * `https_lb_rule` labels (gcp-facts §10); the regional resources (`http_external_regional_lb_rule`,
 * `internal_http_lb_rule`) add `network_name` and carry the load balancer's region. With no backend
 * picked, backend_name is UNKNOWN and backend_type INVALID_BACKEND.
 */
function metricResource(
  project: Project,
  bs: BackendService,
  backend: BackendLabels | undefined,
): Record<string, string> {
  return {
    project_id: project.projectId,
    ...(bs.region === undefined ? {} : { network_name: networkNameOf(project, bs) }),
    region: bs.region ?? 'global',
    forwarding_rule_name: bs.frontend.forwardingRule,
    target_proxy_name: bs.frontend.targetProxy,
    url_map_name: bs.frontend.urlMap,
    matched_url_path_rule: 'UNMATCHED',
    backend_target_name: bs.name,
    backend_target_type: 'BACKEND_SERVICE',
    backend_name: backend?.name ?? 'UNKNOWN',
    backend_type: backend?.type ?? 'INVALID_BACKEND',
    backend_scope: backend?.scope ?? 'UNKNOWN',
    backend_scope_type: backend?.scopeType ?? 'UNKNOWN',
  };
}

export interface Telemetry {
  logs: LogStore;
  metrics: MetricStore;
  /** The same requests in the alert evaluator's sampling periods (alerting.ts), when it watches. */
  alertMetrics?: MetricStore;
  /** Told of every request log entry as it is written (log-match alert conditions). */
  onRequestLog?: (entry: NewLogEntry) => void;
}

export class TrafficGenerator {
  /** Fractional requests carried to the next tick, per project and backend service. */
  private readonly carry = new Map<string, number>();

  constructor(private readonly random: () => number) {}

  /** Traffic for `simulatedSeconds` of simulated time, timestamped within [fromMs, toMs). */
  tick(project: Project, telemetry: Telemetry, fromMs: number, toMs: number, simulatedSeconds: number): void {
    const counts = new Map<string, number>();
    for (const bs of project.backendServices.values()) {
      const traffic = project.traffic.get(bs.name);
      if (traffic === undefined || traffic.requestsPerSecond <= 0) continue;
      const key = `${project.projectId}/${bs.name}`;
      const expected = traffic.requestsPerSecond * simulatedSeconds + (this.carry.get(key) ?? 0);
      const n = Math.floor(expected);
      this.carry.set(key, expected - n);
      counts.set(bs.name, n);
    }
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    const factor = total > MAX_REQUESTS_PER_TICK ? MAX_REQUESTS_PER_TICK / total : 1;
    for (const [name, n] of counts) {
      const bs = project.backendServices.get(name);
      if (bs !== undefined) this.emit(project, bs, Math.floor(n * factor), fromMs, toMs, telemetry);
    }
  }

  /** The last `minutes` of traffic at the current state, at `requestsPerSecond` per real second. */
  backfill(project: Project, telemetry: Telemetry, now: number, minutes = 10): void {
    const from = now - minutes * MINUTE_MS;
    for (const bs of project.backendServices.values()) {
      const rps = project.traffic.get(bs.name)?.requestsPerSecond ?? 0;
      const n = Math.min(Math.round(rps * minutes * 60), MAX_BACKFILL_PER_BACKEND_SERVICE);
      this.emit(project, bs, n, from, now, telemetry);
    }
  }

  forget(projectId: string): void {
    for (const key of this.carry.keys()) if (key.startsWith(`${projectId}/`)) this.carry.delete(key);
  }

  private emit(
    project: Project,
    bs: BackendService,
    count: number,
    fromMs: number,
    toMs: number,
    telemetry: Telemetry,
  ): void {
    const traffic = project.traffic.get(bs.name);
    if (traffic === undefined || count <= 0) return;
    const plan = routePlan(project, bs);
    const shape = metricShape(bs);
    const times = Array.from({ length: count }, () => fromMs + this.random() * (toMs - fromMs)).sort(
      (a, b) => a - b,
    );
    for (const time of times) {
      const path = pickPath(traffic.paths, this.random);
      const outcome = serveRequest(plan, path, this.random);
      const resource = metricResource(project, bs, outcome.backend);
      telemetry.metrics.record(time, resource, outcome, shape);
      telemetry.alertMetrics?.record(time, resource, outcome, shape);
      if (bs.logConfig.enable && this.random() < bs.logConfig.sampleRate) {
        const entry = this.logEntry(project, bs, path, time, outcome, resource);
        telemetry.logs.addRequest(entry);
        telemetry.onRequestLog?.(entry);
      }
    }
  }

  /**
   * One request log entry. The global kinds log to `requests` on `http_load_balancer`; the regional
   * ones to their own log on their metrics' resource type, with the same labels (load-balancers.ts).
   */
  private logEntry(
    project: Project,
    bs: BackendService,
    path: string,
    time: number,
    outcome: RequestOutcome,
    metricLabels: Record<string, string>,
  ) {
    const status = outcome.status;
    const names = telemetryNames(bs);
    const labels =
      names.logResourceType === 'http_load_balancer'
        ? {
            backend_service_name: bs.name,
            forwarding_rule_name: bs.frontend.forwardingRule,
            project_id: project.projectId,
            target_proxy_name: bs.frontend.targetProxy,
            url_map_name: bs.frontend.urlMap,
            zone: 'global',
          }
        : metricLabels;
    return {
      logName: `projects/${project.projectId}/logs/${names.logId}`,
      resource: { type: names.logResourceType, labels },
      timestamp: new Date(time).toISOString(),
      receiveTimestamp: new Date(time + outcome.latencyMs + 50 + this.random() * 200).toISOString(),
      severity: status >= 500 ? ('ERROR' as const) : status >= 400 ? ('WARNING' as const) : ('INFO' as const),
      httpRequest: {
        requestMethod: 'GET',
        requestUrl: `http://${bs.frontend.ipAddress ?? '198.51.100.1'}${path}`,
        requestSize: String(70 + Math.floor(this.random() * 60)),
        status,
        responseSize: String(status === 200 ? 180 + Math.floor(this.random() * 40) : 320),
        userAgent: USER_AGENTS[Math.floor(this.random() * USER_AGENTS.length)] ?? 'curl/8.5.0',
        remoteIp: randomAddress(CLIENT_RANGE, this.random),
        ...(outcome.serverIp === undefined ? {} : { serverIp: outcome.serverIp }),
        latency: durationString(outcome.latencyMs),
      },
      jsonPayload: {
        '@type': LB_LOG_ENTRY_TYPE,
        statusDetails: outcome.statusDetails,
        backendTargetProjectNumber: `projects/${project.projectNumber}`,
      },
    };
  }
}
