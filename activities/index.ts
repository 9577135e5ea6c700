/**
 * All activities, built from injected clients. Workflows import this module's type only.
 */
import { createBackendHealthActivities } from './backend-health';
import type { GcpClients } from './gcp-clients';
import { withFailureMapping } from './google-errors';

export function createActivities(clients: GcpClients) {
  return withFailureMapping({
    ...createBackendHealthActivities(clients),
  });
}

export type Activities = ReturnType<typeof createActivities>;
