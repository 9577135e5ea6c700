/**
 * Cloud Logging v2: `entries.list` over the World's simulated log entries.
 *
 * Body: `resourceNames` (`projects/P`, required; the deprecated `projectIds` also works), `filter`
 * (see log-filter.ts), `orderBy` (`timestamp asc`, the default, or `timestamp desc`), `pageSize`
 * (default 50, at most 1000), `pageToken`. Page tokens are cursors (the last entry's timestamp and
 * insertId), so entries written between two pages neither repeat nor shift the next page.
 */
import { ApiError, invalid } from './errors';
import { FilterSyntaxError, matchesObject, parseFilter } from './log-filter';
import { decodeToken, encodeToken, pageSize } from './pagination';
import type { Route, RouteContext } from './router';
import { bodyObject } from './router';

interface Entry {
  timestamp?: unknown;
  insertId?: unknown;
}

interface SortKey {
  t: number;
  i: string;
}

function keyOf(entry: Entry): SortKey {
  const t = typeof entry.timestamp === 'string' ? Date.parse(entry.timestamp) : NaN;
  return { t: Number.isNaN(t) ? 0 : t, i: typeof entry.insertId === 'string' ? entry.insertId : '' };
}

function compareKeys(a: SortKey, b: SortKey): number {
  return a.t !== b.t ? a.t - b.t : a.i < b.i ? -1 : a.i > b.i ? 1 : 0;
}

function projectsOf(body: Record<string, unknown>): string[] {
  const names = body['resourceNames'];
  const legacy = body['projectIds'];
  const projects: string[] = [];
  if (Array.isArray(names)) {
    for (const name of names) {
      const m = typeof name === 'string' ? /^projects\/([^/]+)$/.exec(name) : null;
      if (!m?.[1]) {
        throw invalid(
          `Invalid resource name "${String(name)}": only "projects/[PROJECT_ID]" is supported by the simulator.`,
        );
      }
      projects.push(m[1]);
    }
  }
  if (Array.isArray(legacy)) projects.push(...legacy.filter((p): p is string => typeof p === 'string'));
  if (projects.length === 0)
    throw invalid('resourceNames is required: at least one "projects/[PROJECT_ID]".');
  if (projects.length > 100) throw invalid('At most 100 resourceNames may be given.');
  return [...new Set(projects)];
}

function listEntries(ctx: RouteContext): Record<string, unknown> {
  const body = bodyObject(ctx);
  const projects = projectsOf(body);
  const filterText = body['filter'];
  if (filterText !== undefined && typeof filterText !== 'string') throw invalid('filter must be a string.');
  if (typeof filterText === 'string' && filterText.length > 20_000)
    throw invalid('filter is longer than 20000 characters.');
  let filter;
  try {
    filter = parseFilter(filterText ?? '');
  } catch (err) {
    if (err instanceof FilterSyntaxError) throw invalid(err.message);
    throw err;
  }
  const orderBy = typeof body['orderBy'] === 'string' ? body['orderBy'].trim().replace(/\s+/g, ' ') : '';
  if (orderBy !== '' && orderBy !== 'timestamp asc' && orderBy !== 'timestamp desc') {
    throw invalid(`Invalid orderBy "${orderBy}": must be "timestamp asc" or "timestamp desc".`);
  }
  const descending = orderBy === 'timestamp desc';
  const size = pageSize(body['pageSize'], {
    defaultSize: 50,
    max: 1000,
    field: 'pageSize',
    rejectAbove: true,
  });

  let cursor: SortKey | undefined;
  if (typeof body['pageToken'] === 'string' && body['pageToken'] !== '') {
    const token = decodeToken(body['pageToken']);
    if (typeof token['t'] !== 'number' || typeof token['i'] !== 'string' || token['d'] !== descending) {
      throw invalid('Invalid pageToken: it does not belong to this query.');
    }
    cursor = { t: token['t'], i: token['i'] };
  }

  const selected: { entry: object; key: SortKey }[] = [];
  for (const projectId of projects) {
    if (!ctx.world.projects.has(projectId)) {
      // Real Logging answers a project you cannot see with 403/404 (unverified which); we say 404.
      throw new ApiError(404, `Project "${projectId}" not found.`, 'notFound');
    }
    for (const entry of ctx.world.logEntries(projectId)) {
      const key = keyOf(entry as Entry);
      if (cursor) {
        const c = compareKeys(key, cursor);
        if (descending ? c >= 0 : c <= 0) continue;
      }
      if (matchesObject(filter, entry)) selected.push({ entry, key });
    }
  }
  selected.sort((a, b) => (descending ? compareKeys(b.key, a.key) : compareKeys(a.key, b.key)));
  const page = selected.slice(0, size);
  const answer: Record<string, unknown> = { entries: page.map((p) => p.entry) };
  const last = page[page.length - 1];
  if (selected.length > size && last) {
    answer['nextPageToken'] = encodeToken({ t: last.key.t, i: last.key.i, d: descending });
  }
  return answer;
}

export const loggingRoutes: Route[] = [
  { method: 'POST', template: '/v2/entries:list', handler: listEntries },
];
