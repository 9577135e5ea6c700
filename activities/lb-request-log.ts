/**
 * The load balancer's request log in Cloud Logging: one filter and one paged reader, behind the
 * evidence (`readLbLogs`: the mix of statusDetails) and the verification (`countLbResponses`: how
 * many answers were 5xx since a fix).
 */
import type { LogFacts } from '../core/evidence';
import type { GcpClients } from './gcp-clients';

/** One LB request log entry, as far as lbmedic reads it. */
export interface LbRequest {
  /** The HTTP status the load balancer answered; 0 when the entry has none. */
  status: number;
  /** `jsonPayload.statusDetails`, e.g. `failed_to_pick_backend`. */
  statusDetails: string | undefined;
}

export interface LbRequestQuery {
  project: string;
  backendService: string;
  /** A regional load balancer's region: its entries are under the regional resource types. */
  region?: string;
  /** ISO timestamp: entries from this moment on. */
  since: string;
  /** Most entries read: the newest first. */
  limit: number;
}

/**
 * The Logging filter for a backend service's LB request log entries since `since` (ISO). A regional
 * backend service's (`region`) are logged under `http_external_regional_lb_rule` (regional external
 * ALB) or `internal_http_lb_rule` (internal ALB), where the backend service is `backend_target_name`
 * (https://cloud.google.com/logging/docs/api/platform-logs, docs/simulator.md).
 */
export function lbRequestLogFilter(backendService: string, since: string, region?: string): string {
  const scope = region
    ? [
        'resource.type=("http_external_regional_lb_rule" OR "internal_http_lb_rule")',
        `resource.labels.backend_target_name="${backendService}"`,
        `resource.labels.region="${region}"`,
      ]
    : ['resource.type="http_load_balancer"', `resource.labels.backend_service_name="${backendService}"`];
  return [...scope, `timestamp>="${since}"`].join(' AND ');
}

/** The entries of {@link lbRequestLogFilter}, newest first, a page (at most 1000) per round trip. */
export async function* readLbRequests(
  clients: Pick<GcpClients, 'logging'>,
  q: LbRequestQuery,
): AsyncGenerator<LbRequest> {
  const filter = lbRequestLogFilter(q.backendService, q.since, q.region);
  let read = 0;
  let pageToken: string | undefined;
  do {
    const [entries, , response] = await clients.logging.getEntries({
      resourceNames: [`projects/${q.project}`],
      filter,
      orderBy: 'timestamp desc',
      pageSize: Math.min(1000, q.limit - read),
      autoPaginate: false,
      ...(pageToken ? { pageToken } : {}),
    });
    for (const e of entries) {
      const meta = e.metadata as { httpRequest?: { status?: number | null } | null };
      const data = e.data as { statusDetails?: string } | undefined;
      read += 1;
      yield { status: meta.httpRequest?.status ?? 0, statusDetails: data?.statusDetails };
    }
    pageToken = (response as { nextPageToken?: string } | undefined)?.nextPageToken || undefined;
  } while (pageToken && read < q.limit);
}

/**
 * The evidence: the last `windowMinutes` of the log, or from `since` when that is later (nothing
 * from before lbmedic's last change or the incident's start), counted by statusDetails and status.
 */
export async function readLbLogFacts(
  clients: Pick<GcpClients, 'logging'>,
  t: { project: string; backendService: string; region?: string; windowMinutes: number; since?: string },
  limit: number,
): Promise<LogFacts> {
  const windowStart = Date.now() - t.windowMinutes * 60_000;
  const asked = t.since === undefined ? NaN : Date.parse(t.since);
  const since = new Date(Number.isFinite(asked) ? Math.max(windowStart, asked) : windowStart).toISOString();
  const facts: LogFacts = {
    windowMinutes: t.windowMinutes,
    since,
    total: 0,
    limit,
    byStatusDetails: {},
    byStatus: {},
  };
  for await (const r of readLbRequests(clients, {
    project: t.project,
    backendService: t.backendService,
    ...(t.region ? { region: t.region } : {}),
    since,
    limit,
  })) {
    const detail = r.statusDetails ?? 'unknown';
    const status = String(r.status);
    facts.byStatusDetails[detail] = (facts.byStatusDetails[detail] ?? 0) + 1;
    facts.byStatus[status] = (facts.byStatus[status] ?? 0) + 1;
    facts.total += 1;
  }
  return facts;
}
