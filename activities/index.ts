/**
 * All activities, built from injected clients. Workflows import this module's type only.
 */
import { createBackendHealthActivities } from './backend-health';
import type { GcpClients } from './gcp-clients';
import { withFailureMapping } from './google-errors';
import type { PolicySet } from '../policies/schema';

export function createActivities(clients: GcpClients, policies: PolicySet) {
  return withFailureMapping({
    ...createBackendHealthActivities(clients),
    /** The policies the worker validated at start-up; recorded in each workflow's history. */
    async getPolicySet(): Promise<PolicySet> {
      return policies;
    },
  });
}

export type Activities = ReturnType<typeof createActivities>;
