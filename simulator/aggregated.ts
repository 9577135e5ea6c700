/**
 * Compute's aggregated lists (`/aggregated/<collection>`): `items` maps every scope (`zones/Z`,
 * `regions/R`) to `{<collection>: [...]}`, and a scope with nothing on the page still appears, with
 * a warning instead of the list:
 * `{warning: {code: "NO_RESULTS_ON_PAGE", message: "There are no results for scope 'zones/Z' on this page.", data: [{key: "scope", value: "zones/Z"}]}}`
 * (the `*ScopedList` schemas of the Compute v1 discovery document; the wording is GCP's, as seen in
 * public recordings of aggregated lists).
 *
 * The scopes are a fixed catalogue of real regions and zones plus every location the project uses.
 */
import { matchesObject } from './log-filter';
import type { FilterNode } from './log-filter';
import type { Project } from './model';
import { pageSize, paginate } from './pagination';

/** Regions and their zones listed by every aggregated list (a subset of GCP's, enough to be real). */
const CATALOGUE: Record<string, string[]> = {
  'asia-east1': ['a', 'b', 'c'],
  'asia-northeast1': ['a', 'b', 'c'],
  'europe-west1': ['b', 'c', 'd'],
  'europe-west4': ['a', 'b', 'c'],
  'us-central1': ['a', 'b', 'c', 'f'],
  'us-east1': ['b', 'c', 'd'],
  'us-east4': ['a', 'b', 'c'],
  'us-west1': ['a', 'b', 'c'],
};

/** Every scope of a project's aggregated lists: the catalogue's and the ones its resources use. */
export function aggregatedScopes(project: Project): string[] {
  const zones = new Set<string>();
  const regions = new Set<string>();
  for (const [region, suffixes] of Object.entries(CATALOGUE)) {
    regions.add(region);
    for (const s of suffixes) zones.add(`${region}-${s}`);
  }
  const located: { zone?: string | undefined; region?: string | undefined }[] = [
    ...project.instances.values(),
    ...project.instanceGroups.values(),
    ...project.networkEndpointGroups.values(),
    ...project.backendServices.values(),
    ...project.healthChecks.values(),
    ...project.subnetworks.values(),
  ];
  for (const r of located) {
    if (r.zone) {
      zones.add(r.zone);
      regions.add(r.zone.replace(/-[a-z]$/, ''));
    }
    if (r.region) regions.add(r.region);
  }
  return [...[...regions].map((r) => `regions/${r}`), ...[...zones].map((z) => `zones/${z}`)].sort();
}

export interface AggregatedRequest {
  kind: string;
  projectId: string;
  /** The collection, e.g. `networkEndpointGroups`: the path segment and each scope's list key. */
  collection: string;
  scopes: string[];
  items: { scope: string; json: Record<string, unknown> }[];
  filter: FilterNode | undefined;
  maxResults: string | undefined;
  pageToken: string | undefined;
}

/** An aggregated list answer: items of the page under their scopes, every other scope warned empty. */
export function aggregatedAnswer(req: AggregatedRequest): Record<string, unknown> {
  const selected = req.items.filter((x) => matchesObject(req.filter, x.json, { caseSensitive: true }));
  const size = pageSize(req.maxResults, { defaultSize: 500, max: 500, field: 'maxResults' });
  const page = paginate(selected, size, req.pageToken);
  const items: Record<string, Record<string, unknown>> = {};
  for (const scope of req.scopes) {
    items[scope] = {
      warning: {
        code: 'NO_RESULTS_ON_PAGE',
        message: `There are no results for scope '${scope}' on this page.`,
        data: [{ key: 'scope', value: scope }],
      },
    };
  }
  for (const { scope, json } of page.items) {
    const current = items[scope];
    const list =
      current && Array.isArray(current[req.collection]) ? (current[req.collection] as unknown[]) : [];
    items[scope] = { [req.collection]: [...list, json] };
  }
  const base = `https://www.googleapis.com/compute/v1/projects/${req.projectId}/aggregated/${req.collection}`;
  return {
    kind: req.kind,
    id: `projects/${req.projectId}/aggregated/${req.collection}`,
    items,
    selfLink: base,
    ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
  };
}
