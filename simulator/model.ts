/**
 * The simulator's state model: Google Cloud resources as the Compute REST API shows them (camelCase,
 * int64 as strings on the wire), plus the simulated instances' apps. One `World` holds every project.
 *
 * The HTTP layer (`server.ts`, `routes-*.ts`) only reads and mutates a `World` through these types;
 * the engine (`health.ts`, `traffic.ts`, `apps.ts`) computes what GCP would compute from it.
 */
import type { FirewallPolicy, Network } from './firewall-policy';

/** A firewall rule's allow/deny entry. The JSON key really is `IPProtocol`. */
export interface FirewallPermission {
  IPProtocol: string;
  ports?: string[];
}

export interface Firewall {
  id: string;
  name: string;
  network: string; // full URL: https://www.googleapis.com/compute/v1/projects/P/global/networks/N
  direction: 'INGRESS' | 'EGRESS';
  priority: number;
  sourceRanges?: string[];
  destinationRanges?: string[];
  sourceTags?: string[];
  sourceServiceAccounts?: string[];
  targetTags?: string[];
  targetServiceAccounts?: string[];
  allowed?: FirewallPermission[];
  denied?: FirewallPermission[];
  disabled: boolean;
  description?: string;
  creationTimestamp: string;
}

export type HealthCheckType = 'TCP' | 'SSL' | 'HTTP' | 'HTTPS' | 'HTTP2' | 'GRPC';
export type PortSpecification = 'USE_FIXED_PORT' | 'USE_NAMED_PORT' | 'USE_SERVING_PORT';

/** The protocol-specific part (`httpHealthCheck`, `tcpHealthCheck`, …). */
export interface HealthCheckDetails {
  port?: number;
  portName?: string;
  portSpecification?: PortSpecification;
  requestPath?: string;
  host?: string;
  response?: string;
  proxyHeader?: 'NONE' | 'PROXY_V1';
}

export interface HealthCheck {
  id: string;
  name: string;
  /** Set for a regional health check (`regionHealthChecks`); global otherwise. */
  region?: string;
  type: HealthCheckType;
  checkIntervalSec: number;
  timeoutSec: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
  /** Stored under the key that matches `type` on the wire (`httpHealthCheck` for HTTP, …). */
  details: HealthCheckDetails;
  description?: string;
  creationTimestamp: string;
}

export interface NamedPort {
  name: string;
  port: number;
}

/**
 * What the app speaks: plain HTTP/1.1, HTTPS (TLS, HTTP/1.1 only) or HTTP2 (TLS with ALPN h2, and
 * HTTP/1.1 for clients that do not offer h2). TLS apps present a self-signed certificate (tls.ts).
 */
export type AppProtocol = 'HTTP' | 'HTTPS' | 'HTTP2';

/** What runs on a simulated VM: a real HTTP server on the instance's loopback address. */
export interface AppSpec {
  /** The port the app listens on. */
  port: number;
  /** HTTP when absent. */
  protocol?: AppProtocol;
  /** Paths that answer `status` (others answer 404). */
  paths: string[];
  /** Status for the listed paths (200 unless the app is broken). */
  status: number;
  /** Response time in simulated milliseconds (scaled by the time scale when really served). */
  latencyMs: number;
  /** Extra latency for some paths, e.g. a slow report endpoint, in simulated ms. */
  slowPaths?: Record<string, number>;
  /** HTTP keep-alive idle timeout of the app's server, in seconds. GFE's is 600 s. */
  keepaliveSec: number;
  /** false: the process is down (nothing listens). */
  running: boolean;
  /** Body of the listed paths' responses (default `ok`); what a health check's `response` looks for. */
  body?: string;
}

export interface Instance {
  id: string;
  name: string;
  zone: string;
  /** The primary internal IP of nic0: always a loopback address (127.x.y.z) in the simulator. */
  networkIP: string;
  network: string;
  tags: string[];
  serviceAccounts: string[];
  status: 'RUNNING' | 'TERMINATED';
  app: AppSpec;
  creationTimestamp: string;
}

export interface InstanceGroup {
  id: string;
  name: string;
  /** A zonal group has a zone; a regional group (a regional managed instance group's) a region. */
  zone?: string;
  region?: string;
  network: string;
  namedPorts: NamedPort[];
  /** Instance names (the group's zone, or zones of the group's region). */
  instances: string[];
  /** Set when a managed instance group owns this group. */
  managerName?: string;
  fingerprint: string;
  creationTimestamp: string;
}

export type NegType =
  'GCE_VM_IP_PORT' | 'SERVERLESS' | 'NON_GCP_PRIVATE_IP_PORT' | 'INTERNET_FQDN_PORT' | 'INTERNET_IP_PORT';

/** An endpoint outside the VPC (hybrid or internet NEG): an address or name, and a port. */
export interface ExternalEndpoint {
  ipAddress?: string;
  fqdn?: string;
  port: number;
}

/**
 * What answers at a hybrid or internet NEG's endpoints. They are outside Google Cloud and never
 * connected to (the simulator only touches loopback), so the scenario states how they behave.
 */
export interface RemoteOrigin {
  /** false: connections to the endpoints fail (a VPN down, a dead origin). */
  reachable: boolean;
  /** The status the origin answers (also what a health check of a hybrid endpoint sees). */
  status: number;
  latencyMs: number;
}

export interface NetworkEndpointGroup {
  id: string;
  name: string;
  /** Zonal NEGs (GCE_VM_IP_PORT, hybrid) have a zone, serverless NEGs a region; global internet NEGs neither. */
  zone?: string;
  region?: string;
  networkEndpointType: NegType;
  network?: string;
  defaultPort?: number;
  /** Serverless target. `service` names a Cloud Run service; `exists` says whether it is really there. */
  cloudRun?: { service: string; tag?: string; urlMask?: string };
  /** For GCE_VM_IP_PORT: endpoints (instance + port). */
  endpoints: { instance: string; port: number }[];
  /** For SERVERLESS: does the target service exist in the simulated world? */
  targetExists: boolean;
  /** For NON_GCP_PRIVATE_IP_PORT and INTERNET_*: the endpoints and what answers there. */
  externalEndpoints?: ExternalEndpoint[];
  remote?: RemoteOrigin;
  creationTimestamp: string;
}

/**
 * A subnetwork. The simulator keeps only what load balancers need: the proxy-only subnets
 * (`REGIONAL_MANAGED_PROXY`, `GLOBAL_MANAGED_PROXY`) whose addresses Envoy-based load balancers send
 * their backend traffic from, and ordinary (`PRIVATE`) subnets a scenario declares.
 */
export interface Subnetwork {
  id: string;
  name: string;
  region: string;
  network: string;
  ipCidrRange: string;
  purpose: 'PRIVATE' | 'REGIONAL_MANAGED_PROXY' | 'GLOBAL_MANAGED_PROXY';
  role?: 'ACTIVE' | 'BACKUP';
  fingerprint: string;
  creationTimestamp: string;
}

/**
 * lbmedic's worker as the simulated VPC sees it: the address, network, tags and service accounts its
 * in-VPC probe comes from. On loopback, the worker stands at `loopbackAddress`: an app applies the
 * project's firewall to every connection from that address as if it came from `ipAddress` (worker.ts).
 */
export interface WorkerSpec {
  ipAddress: string;
  network: string;
  tags: string[];
  serviceAccounts: string[];
  loopbackAddress: string;
}

export interface Backend {
  /** Full URL of an instance group or NEG. */
  group: string;
  balancingMode: string;
  capacityScaler: number;
}

/** Names (not URLs) of the global external ALB's frontend resources in front of a backend service. */
export interface LoadBalancerFrontend {
  forwardingRule: string;
  targetProxy: string;
  urlMap: string;
  /** The forwarding rule's address: a TEST-NET-2 address (198.51.100.0/24), never connected to. */
  ipAddress?: string;
}

export interface BackendService {
  id: string;
  name: string;
  /** Set for a regional backend service (regional external or internal Application Load Balancer). */
  region?: string;
  protocol: string;
  portName: string;
  port: number;
  timeoutSec: number;
  loadBalancingScheme: string;
  backends: Backend[];
  /** Full URLs of health checks (at most one). */
  healthChecks: string[];
  logConfig: { enable: boolean; sampleRate: number };
  fingerprint: string;
  description?: string;
  frontend: LoadBalancerFrontend;
  creationTimestamp: string;
}

/** Synthetic client traffic sent through the LB to one backend service. */
export interface TrafficSpec {
  /** Requests per simulated second. */
  requestsPerSecond: number;
  /** Request paths and their weights. */
  paths: { path: string; weight: number }[];
}

export type HealthState = 'HEALTHY' | 'UNHEALTHY';

/** The health checker's record for one (backend service, instance) pair. */
export interface ProbeRecord {
  state: HealthState;
  consecutiveSuccesses: number;
  consecutiveFailures: number;
  lastResult?: string;
  lastProbeAt?: string;
  /** Full URL of the instance group or NEG the instance was checked through (getHealth's `group`). */
  group?: string;
  /** The instance's nic0 IP (getHealth's `ipAddress`). */
  ipAddress?: string;
  /** The serving port: the group's named port for the backend service's `portName` (getHealth's `port`). */
  port?: number;
  /** The port the last probe went to (follows the health check's portSpecification). */
  probePort?: number;
  /** The detailed form of `state`, as health-check logs show it: TIMEOUT when probes got no answer (e.g. dropped by the firewall). */
  detailedState?: 'HEALTHY' | 'UNHEALTHY' | 'TIMEOUT';
}

export interface Project {
  projectId: string;
  projectNumber: string;
  /** The scenario this project was loaded from. */
  scenarioName?: string;
  firewalls: Map<string, Firewall>;
  /** VPC networks by name, global network firewall policies by name, hierarchical policies (firewall-policy.ts). */
  networks: Map<string, Network>;
  firewallPolicies: Map<string, FirewallPolicy>;
  /** In evaluation order: the organization's policy first, then the folders' down to the project's. */
  hierarchicalFirewallPolicies: Map<string, FirewallPolicy>;
  healthChecks: Map<string, HealthCheck>;
  backendServices: Map<string, BackendService>;
  instanceGroups: Map<string, InstanceGroup>;
  instances: Map<string, Instance>;
  networkEndpointGroups: Map<string, NetworkEndpointGroup>;
  traffic: Map<string, TrafficSpec>;
  /** key: `${backendService}/${instance}`, or `${backendService}/${neg}/${instance}:${port}` for a NEG endpoint */
  health: Map<string, ProbeRecord>;
  /** Proxy-only and other declared subnetworks, by name. */
  subnetworks: Map<string, Subnetwork>;
  /** lbmedic's worker in this project's VPC. */
  worker: WorkerSpec;
  notificationChannels: Map<string, Record<string, unknown>>;
  alertPolicies: Map<string, Record<string, unknown>>;
}

export const PROBE_RANGES = ['35.191.0.0/16', '130.211.0.0/22'] as const;
export const GFE_KEEPALIVE_SEC = 600;
export const COMPUTE_BASE = 'https://www.googleapis.com/compute/v1';
