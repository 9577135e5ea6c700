/**
 * Verification reads: how many LB responses were 5xx since a moment (the fix, or HEALTHY).
 */
import type { GcpClients } from './gcp-clients';
import { readLbRequests } from './lb-request-log';

export function createVerifyActivities(clients: Pick<GcpClients, 'logging'>, opts: { limit?: number } = {}) {
  const limit = opts.limit ?? 2_000;
  return {
    /** LB request log entries for the backend service since `since` (ISO): total and 5xx. */
    async countLbResponses(input: {
      project: string;
      backendService: string;
      region?: string;
      since: string;
    }): Promise<{ total: number; errors: number }> {
      let total = 0;
      let errors = 0;
      for await (const r of readLbRequests(clients, { ...input, limit })) {
        total += 1;
        if (r.status >= 500) errors += 1;
      }
      return { total, errors };
    },
  };
}
