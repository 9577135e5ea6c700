/**
 * Verification reads: how many LB responses were 5xx since a moment (the fix, or HEALTHY).
 */
import type { GcpClients } from './gcp-clients';
import { readLbRequests } from './lb-request-log';

/** How often the count is read again while too few responses were logged. */
const RECOUNT_EVERY_MS = 2_000;

export function createVerifyActivities(clients: Pick<GcpClients, 'logging'>, opts: { limit?: number } = {}) {
  const limit = opts.limit ?? 2_000;
  const count = async (input: {
    project: string;
    backendService: string;
    region?: string;
    since: string;
  }) => {
    let total = 0;
    let errors = 0;
    const errorDetails: Record<string, number> = {};
    for await (const r of readLbRequests(clients, { ...input, limit })) {
      total += 1;
      if (r.status < 500) continue;
      errors += 1;
      const detail = r.statusDetails ?? 'unknown';
      errorDetails[detail] = (errorDetails[detail] ?? 0) + 1;
    }
    return { total, errors, errorDetails };
  };
  return {
    /**
     * LB request log entries for the backend service since `since` (ISO): total, 5xx, and the 5xx by
     * statusDetails. With `minResponses`, reads again until that many were logged or `waitMs` passed:
     * a backend HEALTHY before the fix (a fixed-port check passing while the named port is wrong)
     * is HEALTHY at once, and only the requests since say whether the fix worked.
     */
    async countLbResponses(input: {
      project: string;
      backendService: string;
      region?: string;
      since: string;
      minResponses?: number;
      waitMs?: number;
    }): Promise<{ total: number; errors: number; errorDetails: Record<string, number> }> {
      const until = Date.now() + (input.waitMs ?? 0);
      for (;;) {
        const c = await count(input);
        if (c.total >= (input.minResponses ?? 0) || Date.now() >= until) return c;
        await new Promise((r) => setTimeout(r, Math.min(RECOUNT_EVERY_MS, until - Date.now())));
      }
    },
  };
}
