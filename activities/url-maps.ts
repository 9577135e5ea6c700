/**
 * URL map → backend services, for incidents that name only a URL map (the LB could not pick a
 * backend, so Monitoring reports `backend_target_name: UNKNOWN`). Reads `urlMaps.get` through the
 * retrying client; errors leave as {@link GoogleApiError}.
 */
import { backendServicesOfUrlMap, type UrlMapLike } from '../core/alert-targets';
import type { GcpClients } from './gcp-clients';
import { toGoogleApiError } from './google-errors';

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
