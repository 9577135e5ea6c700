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
 * Patches `fields` of a backend service with the fingerprint just read, so that Compute refuses the
 * patch if someone changed the service since.
 */
export async function patchBackendServiceFields(
  clients: GcpClients,
  project: string,
  backendService: string,
  requestId: string,
  fields: BackendServiceFields,
): Promise<unknown> {
  const [bs] = await clients.backendServices.get({ project, backendService });
  return clients.backendServices.patch({
    project,
    backendService,
    requestId,
    backendServiceResource: { ...fields, fingerprint: bs.fingerprint ?? '' },
  });
}

/** Set a backend service's `timeoutSec`. */
export const patchBackendService: MutationModule<'patchBackendService'> = {
  describe: (m) => `backendService ${m.backendService}`,

  async read(clients, project, m) {
    const [bs] = await clients.backendServices.get({ project, backendService: m.backendService });
    return {
      kind: 'patchBackendService',
      backendService: m.backendService,
      // Compute's default when the field is unset.
      timeoutSec: wireNumber(bs.timeoutSec) ?? 30,
    };
  },

  holds: (current, desired) =>
    current?.kind === 'patchBackendService' && current.timeoutSec === desired.timeoutSec,

  send: (clients, project, m, requestId) =>
    patchBackendServiceFields(clients, project, m.backendService, requestId, { timeoutSec: m.timeoutSec }),

  inverse: (current) => current,
};
