/**
 * Pointing a backend service at another health check: at lbmedic's dedicated copy of a shared check,
 * and back at the original on rollback. The patch carries the service's fingerprint, so it is refused
 * if someone changed the service since it was read, and sends only `healthChecks`.
 */
import { lastSegment } from '../wire-values';
import { healthCheckUrl } from './health-check';
import type { MutationModule } from './module';
import { patchBackendServiceFields } from './patch-backend-service';

/** Set a backend service's (one) health check. */
export const setBackendServiceHealthCheck: MutationModule<'setBackendServiceHealthCheck'> = {
  describe: (m) => `backendService ${m.backendService} (health check)`,

  async read(clients, project, m) {
    const [bs] = await clients.backendServices.get({ project, backendService: m.backendService });
    return {
      kind: 'setBackendServiceHealthCheck',
      backendService: m.backendService,
      healthCheck: lastSegment(bs.healthChecks?.[0]),
    };
  },

  holds: (current, desired) =>
    current?.kind === 'setBackendServiceHealthCheck' && current.healthCheck === desired.healthCheck,

  send: (clients, project, m, requestId) =>
    patchBackendServiceFields(clients, project, m.backendService, requestId, {
      healthChecks: [healthCheckUrl(project, m.healthCheck)],
    }),

  inverse: (current) => current,
};
