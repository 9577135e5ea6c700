/**
 * Verification reads: how many LB responses were 5xx since a moment (the fix, or HEALTHY).
 */
import type { GcpClients } from './gcp-clients';

export function createVerifyActivities(clients: Pick<GcpClients, 'logging'>, opts: { limit?: number } = {}) {
  const limit = opts.limit ?? 2_000;
  return {
    /** LB request log entries for the backend service since `since` (ISO): total and 5xx. */
    async countLbResponses(input: {
      project: string;
      backendService: string;
      since: string;
    }): Promise<{ total: number; errors: number }> {
      const filter = [
        'resource.type="http_load_balancer"',
        `resource.labels.backend_service_name="${input.backendService}"`,
        `timestamp>="${input.since}"`,
      ].join(' AND ');
      let total = 0;
      let errors = 0;
      let pageToken: string | undefined;
      do {
        const [entries, , response] = await clients.logging.getEntries({
          resourceNames: [`projects/${input.project}`],
          filter,
          orderBy: 'timestamp desc',
          pageSize: Math.min(1000, limit - total),
          autoPaginate: false,
          ...(pageToken ? { pageToken } : {}),
        });
        for (const e of entries) {
          const status =
            (e.metadata as { httpRequest?: { status?: number | null } | null }).httpRequest?.status ?? 0;
          total += 1;
          if (status >= 500) errors += 1;
        }
        pageToken = (response as { nextPageToken?: string } | undefined)?.nextPageToken || undefined;
      } while (pageToken && total < limit);
      return { total, errors };
    },
  };
}
