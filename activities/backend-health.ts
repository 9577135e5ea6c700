/**
 * Reads a backend service's health as the load balancer sees it: `backendServices.get`, then
 * `getHealth` for each backend group. Built from injected clients (see gcp-clients.ts).
 */
import type { GcpClients } from './gcp-clients';

export interface InstanceHealth {
  instance: string;
  ipAddress: string;
  port: number | undefined;
  healthState: string;
}

export interface GroupHealth {
  group: string;
  instances: InstanceHealth[];
}

export interface BackendHealth {
  project: string;
  backendService: string;
  groups: GroupHealth[];
  healthy: number;
  total: number;
}

export function createBackendHealthActivities(clients: Pick<GcpClients, 'backendServices'>) {
  return {
    /** getHealth for every backend group of one backend service. */
    async getBackendHealth(input: { project: string; backendService: string }): Promise<BackendHealth> {
      const { project, backendService } = input;
      const [bs] = await clients.backendServices.get({ project, backendService });
      const groups: GroupHealth[] = [];
      for (const backend of bs.backends ?? []) {
        if (!backend.group) continue;
        const [health] = await clients.backendServices.getHealth({
          project,
          backendService,
          resourceGroupReferenceResource: { group: backend.group },
        });
        groups.push({
          group: backend.group,
          instances: (health.healthStatus ?? []).map((s) => ({
            instance: s.instance ?? '',
            ipAddress: s.ipAddress ?? '',
            port: s.port ?? undefined,
            healthState: String(s.healthState ?? 'UNKNOWN'),
          })),
        });
      }
      const all = groups.flatMap((g) => g.instances);
      return {
        project,
        backendService,
        groups,
        healthy: all.filter((i) => i.healthState === 'HEALTHY').length,
        total: all.length,
      };
    },
  };
}
