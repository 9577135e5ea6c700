/**
 * What kind of Application Load Balancer a backend service belongs to, and what follows from it:
 * where its traffic to the backends comes from, and how its request logs and metrics are named.
 *
 * | kind (scheme, scope)                         | data traffic to backends from            | request log (resource, log)                                           | metrics (prefix, resource)                          |
 * | -------------------------------------------- | ---------------------------------------- | --------------------------------------------------------------------- | --------------------------------------------------- |
 * | global external (EXTERNAL_MANAGED, global)   | 35.191.0.0/16, 130.211.0.0/22 (GFE)      | `http_load_balancer`, `requests`                                      | `https/`, `https_lb_rule`                           |
 * | classic (EXTERNAL, global)                   | same                                     | same                                                                  | same                                                |
 * | regional external (EXTERNAL_MANAGED, region) | the region's proxy-only subnet (Envoy)   | `http_external_regional_lb_rule`, `loadbalancing.googleapis.com%2Fexternal_regional_requests` | `https/external/regional/`, `http_external_regional_lb_rule` |
 * | regional internal (INTERNAL_MANAGED, region) | the region's proxy-only subnet (Envoy)   | `internal_http_lb_rule`, `loadbalancing.googleapis.com%2Frequests`    | `https/internal/`, `internal_http_lb_rule`          |
 *
 * Sources: firewall ranges, https://cloud.google.com/load-balancing/docs/firewall-rules (GFE proxies
 * use the health-check ranges for instance group, zonal and hybrid NEG backends; Envoy-based load
 * balancers send from the proxy-only subnet); log names, https://cloud.google.com/logging/docs/api/platform-logs
 * ("Cloud Load Balancing"); metric types and labels, https://cloud.google.com/monitoring/api/metrics_gcp_i_o
 * ("loadbalancing"); resource labels, https://cloud.google.com/monitoring/api/resources.
 * Health checks probe from 35.191.0.0/16 and 130.211.0.0/22 for every kind.
 */
import type { BackendService, Project } from './model';
import { PROBE_RANGES } from './model';
import { rangesVerdict } from './firewall';
import type { FirewallContext, FirewallTarget } from './firewall';
import { resourceName, sameResource } from './urls';

export type LoadBalancerKind = 'GLOBAL_EXTERNAL' | 'CLASSIC' | 'REGIONAL_EXTERNAL' | 'REGIONAL_INTERNAL';

export function loadBalancerKind(bs: BackendService): LoadBalancerKind {
  if (bs.region === undefined) return bs.loadBalancingScheme === 'EXTERNAL' ? 'CLASSIC' : 'GLOBAL_EXTERNAL';
  return bs.loadBalancingScheme === 'INTERNAL_MANAGED' ? 'REGIONAL_INTERNAL' : 'REGIONAL_EXTERNAL';
}

/** Is the load balancer Envoy-based (regional), sending from a proxy-only subnet? */
export function isEnvoyBased(bs: BackendService): boolean {
  return bs.region !== undefined;
}

/**
 * The source ranges of the load balancer's data traffic to a backend on `network`: Google's GFE
 * ranges for global load balancers, the active proxy-only subnets of the backend service's region and
 * network for regional ones (empty when there is none: nothing can reach the backends).
 */
export function dataPathSources(project: Project, bs: BackendService, network: string): string[] {
  if (!isEnvoyBased(bs)) return [...PROBE_RANGES];
  return [...project.subnetworks.values()]
    .filter(
      (subnet) =>
        subnet.purpose === 'REGIONAL_MANAGED_PROXY' &&
        subnet.role !== 'BACKUP' &&
        subnet.region === bs.region &&
        sameResource(subnet.network, network),
    )
    .map((subnet) => subnet.ipCidrRange);
}

/**
 * The first range (of `ranges`) whose traffic the firewall drops, anywhere in it, with the rule; undefined
 * when all pass. `firewall` is the project's whole firewall (firewallContext): policies block data
 * traffic as they block probes.
 */
export function firstDroppedRange(
  firewall: FirewallContext,
  target: FirewallTarget,
  port: number,
  ranges: readonly string[],
): { range: string; rule: string } | undefined {
  const dropped = rangesVerdict(firewall, target, port, ranges).sources.find((s) => !s.allowed);
  return dropped && { range: dropped.range, rule: dropped.rule };
}

/** How one kind's request logs and metrics are named. */
export interface TelemetryNames {
  logId: string;
  logResourceType: string;
  metricPrefix: string;
  metricResourceType: string;
}

const NAMES: Record<LoadBalancerKind, TelemetryNames> = {
  GLOBAL_EXTERNAL: {
    logId: 'requests',
    logResourceType: 'http_load_balancer',
    metricPrefix: 'loadbalancing.googleapis.com/https/',
    metricResourceType: 'https_lb_rule',
  },
  CLASSIC: {
    logId: 'requests',
    logResourceType: 'http_load_balancer',
    metricPrefix: 'loadbalancing.googleapis.com/https/',
    metricResourceType: 'https_lb_rule',
  },
  REGIONAL_EXTERNAL: {
    logId: 'loadbalancing.googleapis.com%2Fexternal_regional_requests',
    logResourceType: 'http_external_regional_lb_rule',
    metricPrefix: 'loadbalancing.googleapis.com/https/external/regional/',
    metricResourceType: 'http_external_regional_lb_rule',
  },
  REGIONAL_INTERNAL: {
    logId: 'loadbalancing.googleapis.com%2Frequests',
    logResourceType: 'internal_http_lb_rule',
    metricPrefix: 'loadbalancing.googleapis.com/https/internal/',
    metricResourceType: 'internal_http_lb_rule',
  },
};

export function telemetryNames(bs: BackendService): TelemetryNames {
  return NAMES[loadBalancerKind(bs)];
}

/**
 * The VPC network a regional load balancer lives in (its resource labels carry `network_name`): the
 * network of its first backend that has one, else the project's default network name.
 */
export function networkNameOf(project: Project, bs: BackendService): string {
  for (const backend of bs.backends) {
    const name = resourceName(backend.group);
    const network =
      project.instanceGroups.get(name)?.network ?? project.networkEndpointGroups.get(name)?.network;
    if (network !== undefined) return resourceName(network);
  }
  return resourceName(project.worker.network);
}
