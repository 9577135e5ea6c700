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

/** getHealth for one backend group (an instance group or NEG URL) of a backend service. */
export async function readGroupHealth(
  clients: Pick<GcpClients, 'backendServices'>,
  target: { project: string; backendService: string; group: string },
): Promise<InstanceHealth[]> {
  const [health] = await clients.backendServices.getHealth({
    project: target.project,
    backendService: target.backendService,
    resourceGroupReferenceResource: { group: target.group },
  });
  return (health.healthStatus ?? []).map((s) => ({
    instance: s.instance ?? '',
    ipAddress: s.ipAddress ?? '',
    port: s.port ?? undefined,
    healthState: String(s.healthState ?? 'UNKNOWN'),
  }));
}

/** The evidence's health: every instance of the backend service's instance groups, by name. */
export async function readInstanceHealth(
  clients: Pick<GcpClients, 'backendServices'>,
  target: { project: string; backendService: string; backends: BackendRef[] },
): Promise<InstanceHealthFacts[]> {
  const out: InstanceHealthFacts[] = [];
  for (const b of target.backends.filter((x) => x.kind === 'instanceGroup')) {
    const statuses = await readGroupHealth(clients, { ...target, group: b.group });
    for (const s of statuses) {
      out.push({
        instance: lastSegment(s.instance),
        group: b.name,
        ipAddress: s.ipAddress,
        ...(s.port ? { port: s.port } : {}),
        healthState: s.healthState,
      });
    }
  }
  return out;
}
