/**
 * Raising a backend service's `timeoutSec` (root cause 4). The patch carries the service's
 * fingerprint, so it is refused if someone changed the service since it was read.
 */
import type { GcpClients } from '../gcp-clients';
import { wireNumber, type MutationModule } from './module';

type BackendServiceFields = NonNullable<
  Parameters<GcpClients['backendServices']['patch']>[0]['backendServiceResource']
>;

/**
 * Patches `fields` of a backend service (a regional one in `region`) with the fingerprint just read,
 * so that Compute refuses the patch if someone changed the service since.
 */
export async function patchBackendServiceFields(
  clients: GcpClients,
  project: string,
  backendService: string,
  requestId: string,
  fields: BackendServiceFields,
  region?: string,
): Promise<unknown> {
  if (region) {
    const [bs] = await clients.regionBackendServices.get({ project, region, backendService });
    return clients.regionBackendServices.patch({
      project,
      region,
      backendService,
      requestId,
      backendServiceResource: { ...fields, fingerprint: bs.fingerprint ?? '' },
    });
  }
  const [bs] = await clients.backendServices.get({ project, backendService });
  return clients.backendServices.patch({
    project,
    backendService,
    requestId,
    backendServiceResource: { ...fields, fingerprint: bs.fingerprint ?? '' },
  });
}

/** Set a backend service's `timeoutSec` (global, or regional in the mutation's region). */
export const patchBackendService: MutationModule<'patchBackendService'> = {
  describe: (m) => `backendService ${m.region ? `${m.region}/` : ''}${m.backendService}`,

  async read(clients, project, m) {
    const { backendService, region } = m;
    const [bs] = region
      ? await clients.regionBackendServices.get({ project, region, backendService })
      : await clients.backendServices.get({ project, backendService });
    return {
      kind: 'patchBackendService',
      backendService,
      ...(region ? { region } : {}),
      // Compute's default when the field is unset.
      timeoutSec: wireNumber(bs.timeoutSec) ?? 30,
    };
  },

  holds: (current, desired) =>
    current?.kind === 'patchBackendService' && current.timeoutSec === desired.timeoutSec,

  send: (clients, project, m, requestId) =>
    patchBackendServiceFields(
      clients,
      project,
      m.backendService,
      requestId,
      { timeoutSec: m.timeoutSec },
      m.region,
    ),

  inverse: (current) => current,
};
