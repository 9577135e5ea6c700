/**
 * Creating lbmedic's dedicated copy of a health check that other backend services share (root cause
 * 1): the fix goes on the copy, so the other services keep probing what they probed. The copy's name
 * is derived from the backend service (core/causes/health-check-mismatch.ts), so a retried insert
 * finds its own check; rollback deletes it once the backend service points back at the original.
 */
import type { MutationModule } from './module';
import { detailKey, detailsHold, readWholeHealthCheck } from './health-check';

/** Insert a health check. */
export const insertHealthCheck: MutationModule<'insertHealthCheck'> = {
  describe: (m) => `healthCheck ${m.healthCheck}`,

  read: (clients, project, m) => readWholeHealthCheck(clients, project, m.healthCheck),

  holds: (current, desired) =>
    current?.kind === 'insertHealthCheck' &&
    current.type === desired.type &&
    current.checkIntervalSec === desired.checkIntervalSec &&
    current.timeoutSec === desired.timeoutSec &&
    current.healthyThreshold === desired.healthyThreshold &&
    current.unhealthyThreshold === desired.unhealthyThreshold &&
    detailsHold(current.details, desired.details),

  send: (clients, project, m, requestId) =>
    clients.healthChecks.insert({
      project,
      requestId,
      healthCheckResource: {
        name: m.healthCheck,
        type: m.type,
        checkIntervalSec: m.checkIntervalSec,
        timeoutSec: m.timeoutSec,
        healthyThreshold: m.healthyThreshold,
        unhealthyThreshold: m.unhealthyThreshold,
        [detailKey(m.type)]: m.details,
        description: m.description,
      },
    }),

  // The check did not exist before (the plan's inverse, deleting it, held when it was snapshot).
  inverse: (_current, applied) => ({ kind: 'deleteHealthCheck', healthCheck: applied.healthCheck }),
};
