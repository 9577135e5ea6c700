/**
 * Raising a backend service's `timeoutSec` (root cause 4). The patch carries the service's
 * fingerprint, so it is refused if someone changed the service since it was read.
 */
import { wireNumber, type MutationModule } from './module';

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

  async send(clients, project, m, requestId) {
    const [bs] = await clients.backendServices.get({ project, backendService: m.backendService });
    return clients.backendServices.patch({
      project,
      backendService: m.backendService,
      requestId,
      backendServiceResource: { timeoutSec: m.timeoutSec, fingerprint: bs.fingerprint ?? '' },
    });
  },

  inverse: (current) => current,
};
