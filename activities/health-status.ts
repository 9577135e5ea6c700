/**
 * `backendServices.getHealth`: the load balancer's own view of one backend group. The one reader
 * behind the evidence (`readHealth`) and the health checks after a fix (`getBackendHealth`).
 */
import type { BackendRef, InstanceHealthFacts } from '../core/evidence';
import type { GcpClients } from './gcp-clients';
import { lastSegment } from './wire-values';

/** One instance's health as getHealth reports it. */
export interface InstanceHealth {
  /** The instance's URL ('' when getHealth names none). */
  instance: string;
  ipAddress: string;
  port: number | undefined;
  healthState: string;
}

/**
 * getHealth for one backend group (an instance group or NEG URL) of a backend service; a regional
 * backend service's (`region` set) through regionBackendServices.
 */
export async function readGroupHealth(
  clients: Pick<GcpClients, 'backendServices' | 'regionBackendServices'>,
  target: { project: string; backendService: string; group: string; region?: string },
): Promise<InstanceHealth[]> {
  const { project, backendService, region } = target;
  const resourceGroupReferenceResource = { group: target.group };
  const [health] = region
    ? await clients.regionBackendServices.getHealth({
        project,
        region,
        backendService,
        resourceGroupReferenceResource,
      })
    : await clients.backendServices.getHealth({ project, backendService, resourceGroupReferenceResource });
  return (health.healthStatus ?? []).map((s) => ({
    instance: s.instance ?? '',
    ipAddress: s.ipAddress ?? '',
    port: s.port ?? undefined,
    healthState: String(s.healthState ?? 'UNKNOWN'),
  }));
}

/**
 * Whether getHealth has anything to say about a backend: instance groups and zonal NEGs
 * (GCE_VM_IP_PORT, hybrid NON_GCP_PRIVATE_IP_PORT) are health-checked; serverless (regional) and
 * internet (global) NEGs are not (gcp-facts §4).
 */
export const isHealthChecked = (b: BackendRef): boolean => b.kind === 'instanceGroup' || Boolean(b.zone);

/**
 * The evidence's health: every instance (or NEG endpoint) of the backend service's health-checked
 * groups, by instance name (a hybrid endpoint, which has none, by ip:port).
 */
export async function readInstanceHealth(
  clients: Pick<GcpClients, 'backendServices' | 'regionBackendServices'>,
  target: { project: string; backendService: string; backends: BackendRef[]; region?: string },
): Promise<InstanceHealthFacts[]> {
  const out: InstanceHealthFacts[] = [];
  for (const b of target.backends.filter(isHealthChecked)) {
    const statuses = await readGroupHealth(clients, { ...target, group: b.group });
    for (const s of statuses) {
      out.push({
        instance: lastSegment(s.instance) || `${s.ipAddress}:${s.port ?? ''}`,
        group: b.name,
        ipAddress: s.ipAddress,
        ...(s.port ? { port: s.port } : {}),
        healthState: s.healthState,
      });
    }
  }
  return out;
}
