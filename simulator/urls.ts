/** Compute resource URLs: building self links and reading full or partial resource references. */
import { COMPUTE_BASE } from './model';

export interface ResourceRef {
  project?: string;
  zone?: string;
  region?: string;
  /** The collection, e.g. `backendServices`, `instanceGroups`. */
  kind: string;
  name: string;
}

/** Zones are a region plus a one-letter suffix (`us-central1-a`); regions have none (`us-central1`). */
export function isZoneName(location: string): boolean {
  return /^[a-z]+-[a-z]+\d+-[a-z]$/.test(location);
}

/**
 * The full `https://www.googleapis.com/compute/v1/projects/...` URL of a resource. `location` is a
 * zone or a region name (told apart by their form); without one the resource is global.
 */
export function selfLink(project: string, kind: string, name: string, location?: string): string {
  return `${scopeLink(project, location)}/${kind}/${name}`;
}

/** `.../projects/P/global`, `.../projects/P/zones/Z` or `.../projects/P/regions/R`. */
export function scopeLink(project: string, location?: string): string {
  const base = `${COMPUTE_BASE}/projects/${project}`;
  if (location === undefined || location === '' || location === 'global') return `${base}/global`;
  return isZoneName(location) ? `${base}/zones/${location}` : `${base}/regions/${location}`;
}

export function networkLink(project: string, network: string): string {
  return selfLink(project, 'networks', network);
}

export function zoneLink(project: string, zone: string): string {
  return `${COMPUTE_BASE}/projects/${project}/zones/${zone}`;
}

export function regionLink(project: string, region: string): string {
  return `${COMPUTE_BASE}/projects/${project}/regions/${region}`;
}

/**
 * Reads a resource reference: a full URL (`https://www.googleapis.com/compute/v1/projects/...`,
 * `https://compute.googleapis.com/compute/v1/...`) or a partial one (`projects/P/global/healthChecks/hc`,
 * `zones/Z/instanceGroups/ig`, `global/firewalls/fw`). Returns undefined for anything else.
 */
export function parseResourceUrl(url: string): ResourceRef | undefined {
  let path = url.trim().replace(/[?#].*$/, '');
  path = path.replace(/^https?:\/\/[^/]+/, '');
  path = path.replace(/^\/+/, '').replace(/^compute\/(v1|beta|alpha)\//, '');
  const segments = path.split('/').filter((segment) => segment !== '');
  const ref: Partial<ResourceRef> = {};
  let i = 0;
  if (segments[i] === 'projects') {
    ref.project = segments[i + 1];
    i += 2;
  }
  const scope = segments[i];
  if (scope === 'global') {
    i += 1;
  } else if (scope === 'zones' || scope === 'regions') {
    const location = segments[i + 1];
    if (location === undefined) return undefined;
    if (scope === 'zones') ref.zone = location;
    else ref.region = location;
    i += 2;
  } else {
    return undefined;
  }
  const kind = segments[i];
  const name = segments[i + 1];
  if (kind === undefined || name === undefined || segments.length !== i + 2) return undefined;
  if (ref.project === undefined) delete ref.project;
  return { ...ref, kind, name };
}

/** The last path segment of a URL, or the text itself when it has no slash (a bare name). */
export function resourceName(urlOrName: string): string {
  const trimmed = urlOrName.replace(/[?#].*$/, '').replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** Do two references name the same resource? Fields missing from a partial URL are not compared. */
export function sameResource(a: string, b: string): boolean {
  const left = parseResourceUrl(a);
  const right = parseResourceUrl(b);
  if (left === undefined || right === undefined) return resourceName(a) === resourceName(b);
  const differs = (x?: string, y?: string) => x !== undefined && y !== undefined && x !== y;
  return (
    left.kind === right.kind &&
    left.name === right.name &&
    !differs(left.project, right.project) &&
    !differs(left.zone, right.zone) &&
    !differs(left.region, right.region)
  );
}
