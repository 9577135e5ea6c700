/**
 * The evidence lbmedic collects about one backend service: plain JSON (it crosses Temporal's
 * activity boundary and is recorded in history). Each source either succeeded or says why not, so a
 * diagnosis can go on without it and say what it could not see.
 */
import type { FirewallRule } from './firewall';

export type Source<T> = { ok: true; value: T } | { ok: false; error: string };

export interface BackendRef {
  /** Full URL as the backend service lists it. */
  group: string;
  kind: 'instanceGroup' | 'neg';
  name: string;
  zone?: string;
  region?: string;
}

export interface BackendServiceFacts {
  name: string;
  protocol: string;
  portName: string;
  timeoutSec: number;
  loadBalancingScheme: string;
  /** Health check name (last URL segment), if any. */
  healthCheck?: string;
  /** The health check's region when it is a regional one (a regional load balancer's). */
  healthCheckRegion?: string;
  backends: BackendRef[];
  fingerprint?: string;
  /** Set for a regional backend service (regional external or internal Application Load Balancer). */
  region?: string;
  /**
   * Where the load balancer's requests to the backends come from (docs/simulator.md "Kinds of
   * Application Load Balancer"): Google's front-end ranges for a global one, the region's active
   * proxy-only subnet(s) for a regional one. Absent in evidence recorded before it was kept.
   */
  dataSourceRanges?: string[];
}

export interface InstanceHealthFacts {
  instance: string;
  group: string;
  ipAddress: string;
  port?: number;
  healthState: string;
}

export interface HealthCheckFacts {
  name: string;
  /** A regional health check's region. */
  region?: string;
  type: string;
  port?: number;
  portName?: string;
  portSpecification?: string;
  requestPath?: string;
  /** Read so that a copy of the check is faithful, and to tell lbmedic's own copies. */
  description?: string;
  host?: string;
  response?: string;
  proxyHeader?: string;
  checkIntervalSec: number;
  timeoutSec: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
}

export interface InstanceFacts {
  name: string;
  group: string;
  zone: string;
  networkIP: string;
  network: string;
  tags: string[];
  serviceAccounts: string[];
  status: string;
}

export interface InstanceGroupFacts {
  name: string;
  /** The group's zone; '' for a regional group (then `region` is set). */
  zone: string;
  region?: string;
  network: string;
  namedPorts: { name: string; port: number }[];
  fingerprint?: string;
  instances: InstanceFacts[];
}

export interface LogFacts {
  windowMinutes: number;
  /**
   * The first moment read (ISO): the window's start, or later when lbmedic changed the backend
   * service or the incident started since. Absent in evidence recorded before it was kept.
   */
  since?: string;
  /** Entries read (bounded by `limit`). */
  total: number;
  limit: number;
  byStatusDetails: Record<string, number>;
  byStatus: Record<string, number>;
}

export interface LatencyFacts {
  windowMinutes: number;
  /** Backend latency percentiles in ms, from the backend_latencies distribution. */
  p50Ms?: number;
  p99Ms?: number;
  maxMs?: number;
  requests: number;
}

export interface NegFacts {
  name: string;
  type: string;
  size: number;
  zone?: string;
  region?: string;
  cloudRunService?: string;
  defaultPort?: number;
  /**
   * A zonal GCE_VM_IP_PORT NEG's endpoints (listNetworkEndpoints), each with the VM it is on (what the
   * firewall judges); a hybrid or internet NEG's with their address or name only.
   */
  endpoints?: NegEndpointFacts[];
}

/** One network endpoint: the port the load balancer and a serving-port health check use. */
export interface NegEndpointFacts {
  port: number;
  ipAddress?: string;
  fqdn?: string;
  instance?: InstanceFacts;
}

/** One in-VPC HTTP request to an instance. */
export interface ProbeResult {
  instance: string;
  ipAddress: string;
  port: number;
  path: string;
  /** HTTP status, when the request got an answer. */
  status?: number;
  /** `ECONNREFUSED`, `timeout`, … when it did not. */
  error?: string;
  /** The scheme spoken: `https` (TLS, the certificate not verified) or `http` when absent. */
  scheme?: 'http' | 'https';
  /** The worker's address in the VPC the probe came from, when configured (what the firewall judges). */
  from?: string;
  latencyMs: number;
}

/**
 * The project around one backend service: what else uses its health check, its instance groups'
 * port names, and the instances a firewall rule would reach. Read project-wide and bounded
 * (activities/topology.ts); `truncated` names the lists that hit their bound, in which case an impact
 * computed from them is a lower bound.
 */
export interface TopologyFacts {
  backendServices: {
    name: string;
    /** A regional backend service's region; global when absent. */
    region?: string;
    portName: string;
    /** Health check name, if any. */
    healthCheck?: string;
    /** The health check's region when it is a regional one; global when absent. */
    healthCheckRegion?: string;
    /**
     * Instance groups behind it, a regional one with `zone: ''` (NEGs are left out: they have no named
     * ports or tags).
     */
    groups: { name: string; zone: string }[];
  }[];
  /** Zonal groups name their members; a regional group (`zone: ''`) names each `zone/name`. */
  instanceGroups: { name: string; zone: string; instances: string[] }[];
  instances: { name: string; zone: string; network: string; tags: string[]; serviceAccounts: string[] }[];
  truncated: string[];
}

/** One rule of a firewall policy, as `networks.getEffectiveFirewalls` shows it. */
export interface PolicyRuleFacts {
  priority: number;
  action: string;
  direction: string;
  disabled?: boolean;
  srcIpRanges?: string[];
  layer4Configs: { ipProtocol: string; ports?: string[] }[];
  targetServiceAccounts?: string[];
  /** Networks a hierarchical policy's rule is limited to. */
  targetResources?: string[];
}

/** The firewall policies in force on one network, in evaluation order (core/firewall-policy.ts). */
export interface FirewallPolicyFacts {
  network: string;
  /** `AFTER_CLASSIC_FIREWALL` (the default) or `BEFORE_CLASSIC_FIREWALL`. */
  enforcementOrder: string;
  /** Hierarchical ones first (organization, then folders), then the network's own. */
  policies: { name: string; type: 'HIERARCHY' | 'NETWORK'; rules: PolicyRuleFacts[] }[];
}

export interface Evidence {
  project: string;
  backendService: string;
  collectedAt: string;
  backend: Source<BackendServiceFacts>;
  health: Source<InstanceHealthFacts[]>;
  /** `null` when the backend service has no health check (serverless NEGs). */
  healthCheck: Source<HealthCheckFacts | null>;
  firewallRules: Source<FirewallRule[]>;
  instanceGroups: Source<InstanceGroupFacts[]>;
  logs: Source<LogFacts>;
  latency: Source<LatencyFacts>;
  negs: Source<NegFacts[]>;
  probe: Source<ProbeResult[]>;
  /** Project-wide: who else uses what this backend service uses (impact of a change). */
  topology: Source<TopologyFacts>;
  /** The firewall policies of the instances' networks; absent in evidence recorded before they were read. */
  firewallPolicies?: Source<FirewallPolicyFacts[]>;
}

export const EVIDENCE_SOURCES = [
  'backend',
  'health',
  'healthCheck',
  'firewallRules',
  'instanceGroups',
  'logs',
  'latency',
  'negs',
  'probe',
  'topology',
  'firewallPolicies',
] as const satisfies readonly (keyof Evidence)[];
