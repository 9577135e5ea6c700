/**
 * Deleting a health check: how lbmedic's dedicated copy is rolled back, after the backend service
 * points back at the original (Compute refuses to delete a check in use). Only checks lbmedic created
 * are ever deleted.
 */
import type { MutationModule } from './module';
import { readWholeHealthCheck, refuseUnlessOwnedCheck } from './health-check';

/** Delete a health check. */
export const deleteHealthCheck: MutationModule<'deleteHealthCheck'> = {
  describe: (m) => `healthCheck ${m.healthCheck}`,

  read: (clients, project, m) => readWholeHealthCheck(clients, project, m.healthCheck),

  holds: (current) => current === null,

  async send(clients, project, m, requestId) {
    refuseUnlessOwnedCheck(await readWholeHealthCheck(clients, project, m.healthCheck));
    return clients.healthChecks.delete({ project, healthCheck: m.healthCheck, requestId });
  },

  // The check as it was read, created again.
  inverse: (current) => current,
};
