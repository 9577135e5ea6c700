/**
 * The project around a backend service, read project-wide for the impact of a change (core/impact.ts):
 * every backend service with its health check, port name and instance groups; the members of those
 * groups; and every instance with its network, tags and service accounts.
 *
 * Bounded and paged: each list is read a page at a time (at most 500 items per page, Compute's
 * maximum by default) and stops at its bound; a list that stopped early is named in `truncated`, so the impact
 * says it is a lower bound instead of pretending to be complete. Membership costs one
 * `instanceGroups.listInstances` per group, so the number of groups listed is bounded too.
 */
import type { TopologyFacts } from '../core/evidence';
import { parseGroupUrl } from './compute-config';
import type { GcpClients } from './gcp-clients';
import { lastSegment, NO_AUTOPAGINATE, regionOf, scopeRegion } from './wire-values';

/** How much of a project the reader reads at most. */
export interface TopologyBounds {
  backendServices: number;
  instances: number;
  /** Instance groups whose members are listed (one call each). */
  groupsListed: number;
  /** Items per page (Compute's maximum is 500). */
  pageSize: number;
}

export const TOPOLOGY_BOUNDS: TopologyBounds = {
  backendServices: 2_000,
  instances: 10_000,
  groupsListed: 200,
  pageSize: 500,
};

type Clients = Pick<GcpClients, 'backendServices' | 'instanceGroups' | 'regionInstanceGroups' | 'instances'>;

/** Reads the topology of `project` within `bounds`. */
export async function readTopology(
  clients: Clients,
  { project }: { project: string },
  bounds: TopologyBounds = TOPOLOGY_BOUNDS,
): Promise<TopologyFacts> {
  const truncated: string[] = [];
  // A regional group is `zone: ''`; its region, for listing its members, is kept aside.
  const groupRegion = new Map<string, string>();
  const PAGE = { maxResults: bounds.pageSize };
  const backendServices: TopologyFacts['backendServices'] = [];
  // Every backend service of the project, global and in every region (`backendServices.aggregatedList`):
  // a zonal instance group can be the backend of global and regional load balancers alike, so a
  // change to its named ports or to the firewall in front of it reaches them all.
  outer: for await (const [scope, list] of clients.backendServices.aggregatedListAsync(
    { project, ...PAGE },
    NO_AUTOPAGINATE,
  )) {
    for (const bs of list.backendServices ?? []) {
      if (backendServices.length >= bounds.backendServices) {
        truncated.push(`backendServices (first ${bounds.backendServices})`);
        break outer;
      }
      const refs = (bs.backends ?? []).map((b) => parseGroupUrl(b.group ?? ''));
      for (const g of refs)
        if (g.kind === 'instanceGroup' && !g.zone && g.region) groupRegion.set(g.name, g.region);
      const groups = refs
        .filter((g) => g.kind === 'instanceGroup' && (g.zone || g.region))
        .map((g) => ({ name: g.name, zone: g.zone ?? '' }));
      const region = lastSegment(bs.region) || scopeRegion(scope);
      const hcRegion = regionOf(bs.healthChecks?.[0]);
      backendServices.push({
        name: bs.name ?? '',
        ...(region ? { region } : {}),
        portName: bs.portName ?? 'http',
        ...(bs.healthChecks?.[0] ? { healthCheck: lastSegment(bs.healthChecks[0]) } : {}),
        ...(hcRegion ? { healthCheckRegion: hcRegion } : {}),
        groups,
      });
    }
  }

  const wanted = new Map<string, { name: string; zone: string }>();
  for (const g of backendServices.flatMap((b) => b.groups)) wanted.set(`${g.zone}/${g.name}`, g);
  if (wanted.size > bounds.groupsListed)
    truncated.push(`instance group members (first ${bounds.groupsListed} of ${wanted.size} groups)`);
  const instanceGroups: TopologyFacts['instanceGroups'] = [];
  for (const g of [...wanted.values()].slice(0, bounds.groupsListed)) {
    const members: string[] = [];
    const region = g.zone ? undefined : groupRegion.get(g.name);
    const listRequest = { instanceState: 'ALL' };
    const items = region
      ? clients.regionInstanceGroups.listInstancesAsync(
          {
            project,
            region,
            instanceGroup: g.name,
            regionInstanceGroupsListInstancesRequestResource: listRequest,
            ...PAGE,
          },
          NO_AUTOPAGINATE,
        )
      : clients.instanceGroups.listInstancesAsync(
          {
            project,
            zone: g.zone,
            instanceGroup: g.name,
            instanceGroupsListInstancesRequestResource: listRequest,
            ...PAGE,
          },
          NO_AUTOPAGINATE,
        );
    // A regional group's members live in several zones: each is named `zone/name`.
    for await (const item of items) {
      members.push(
        region
          ? `${/\/zones\/([^/]+)\//.exec(item.instance ?? '')?.[1] ?? ''}/${lastSegment(item.instance)}`
          : lastSegment(item.instance),
      );
    }
    instanceGroups.push({ ...g, instances: members });
  }

  const instances: TopologyFacts['instances'] = [];
  outer: for await (const [scope, list] of clients.instances.aggregatedListAsync(
    { project, ...PAGE },
    NO_AUTOPAGINATE,
  )) {
    for (const vm of list.instances ?? []) {
      if (instances.length >= bounds.instances) {
        truncated.push(`instances (first ${bounds.instances})`);
        break outer;
      }
      const nic = vm.networkInterfaces?.[0];
      instances.push({
        name: vm.name ?? '',
        zone: lastSegment(vm.zone) || lastSegment(scope),
        network: nic?.network ?? '',
        tags: vm.tags?.items ?? [],
        serviceAccounts: (vm.serviceAccounts ?? []).map((s) => s.email ?? '').filter(Boolean),
      });
    }
  }
  return { backendServices, instanceGroups, instances, truncated };
}
