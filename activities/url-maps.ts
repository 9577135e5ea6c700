/**
 * URL map → backend services, for incidents that name only a URL map (the LB could not pick a
 * backend, so Monitoring reports `backend_target_name: UNKNOWN`). Reads `urlMaps.get` through the
 * retrying client, in the worker: the governor asks for it (the receiver holds no Google Cloud
 * credentials). A URL map that cannot be read for good (404, 403) is an answer; anything transient
 * leaves as a retryable {@link GoogleApiError}.
 */
import { backendServicesOfUrlMap, type UrlMapLike } from '../core/alert-targets';
import { scopeProblem, type Scope } from '../core/scope';
import type { GcpClients } from './gcp-clients';
import { GoogleApiError, toGoogleApiError } from './google-errors';

export type UrlMapResolver = (project: string, urlMap: string) => Promise<string[]>;

export function createUrlMapResolver(clients: Pick<GcpClients, 'urlMaps'>): UrlMapResolver {
  return async (project, urlMap) => {
    try {
      const [map] = await clients.urlMaps.get({ project, urlMap });
      return backendServicesOfUrlMap(map as UrlMapLike);
    } catch (err) {
      throw toGoogleApiError(err, `urlMaps.get ${urlMap}`);
    }
  };
}

export function createUrlMapActivities(clients: Pick<GcpClients, 'urlMaps'>, scope: Scope) {
  const resolve = createUrlMapResolver(clients);
  return {
    /**
     * The backend services behind a URL map that are inside the worker's scope, or why there are
     * none to remediate.
     */
    async resolveUrlMap(input: {
      project: string;
      urlMap: string;
    }): Promise<{ services: string[] } | { unmapped: string } | { outOfScope: string }> {
      try {
        const all = await resolve(input.project, input.urlMap);
        if (all.length === 0) return { unmapped: `URL map ${input.urlMap} routes to no backend service` };
        const problems = all.map((bs) => scopeProblem(scope, { project: input.project, backendService: bs }));
        const services = all.filter((_, i) => problems[i] === undefined);
        if (services.length === 0) return { outOfScope: problems.join('; ') };
        return { services };
      } catch (err) {
        if (err instanceof GoogleApiError && !err.retryable) {
          return { unmapped: `URL map ${input.urlMap} could not be read (${err.status} ${err.reason})` };
        }
        throw err;
      }
    },
  };
}
