/**
 * Network endpoint groups beyond the zonal and regional get/list of routes-compute.ts: global NEGs
 * (`globalNetworkEndpointGroups`: internet NEGs of global external load balancers) and
 * `listNetworkEndpoints` in every scope, which shows each endpoint and, with `healthStatus: SHOW`, its
 * health per backend service (group-health.ts). Paths follow the Compute v1 discovery document.
 */
import { invalid, notFound } from './errors';
import { networkEndpointsWithHealth } from './group-health';
import { listAnswer, negLocation, negOf, negsIn, projectOf } from './routes-compute';
import type { Route, RouteContext } from './router';
import { bodyObject, param } from './router';

const P = '/compute/v1/projects/:project';

function scopeOf(ctx: RouteContext): string {
  const zone = ctx.params['zone'];
  const region = ctx.params['region'];
  if (zone !== undefined) return `zones/${zone}`;
  return region === undefined ? 'global' : `regions/${region}`;
}

function listNetworkEndpoints(ctx: RouteContext): Record<string, unknown> {
  const project = projectOf(ctx);
  const scope = scopeOf(ctx);
  const name = param(ctx, 'name');
  const neg = project.networkEndpointGroups.get(name);
  if (!neg || negLocation(neg) !== scope)
    throw notFound(`projects/${project.projectId}/${scope}/networkEndpointGroups/${name}`);
  // Only the zonal method takes a body (NetworkEndpointGroupsListEndpointsRequest); the global and
  // regional ones have none, and their clients send none that is an object.
  const healthStatus =
    (ctx.params['zone'] === undefined ? undefined : bodyObject(ctx)['healthStatus']) ?? 'SKIP';
  if (healthStatus !== 'SHOW' && healthStatus !== 'SKIP')
    throw invalid(
      `Invalid value for field 'resource.healthStatus': '${String(healthStatus)}'. Must be SHOW or SKIP.`,
    );
  const answer = listAnswer(
    ctx,
    'compute#networkEndpointGroupsListNetworkEndpoints',
    `${scope}/networkEndpointGroups/${name}`,
    networkEndpointsWithHealth(project, neg, healthStatus === 'SHOW'),
  );
  // NetworkEndpointGroupsListNetworkEndpoints has no selfLink.
  delete answer['selfLink'];
  return answer;
}

export const negRoutes: Route[] = [
  {
    method: 'GET',
    template: `${P}/global/networkEndpointGroups`,
    handler: (ctx) =>
      listAnswer(
        ctx,
        'compute#networkEndpointGroupList',
        'global/networkEndpointGroups',
        negsIn(projectOf(ctx), 'global'),
      ),
  },
  {
    method: 'GET',
    template: `${P}/global/networkEndpointGroups/:name`,
    handler: (ctx) => negOf(ctx, projectOf(ctx), 'global'),
  },
  {
    method: 'POST',
    template: `${P}/global/networkEndpointGroups/:name/listNetworkEndpoints`,
    handler: listNetworkEndpoints,
  },
  {
    method: 'POST',
    template: `${P}/zones/:zone/networkEndpointGroups/:name/listNetworkEndpoints`,
    handler: listNetworkEndpoints,
  },
  {
    method: 'POST',
    template: `${P}/regions/:region/networkEndpointGroups/:name/listNetworkEndpoints`,
    handler: listNetworkEndpoints,
  },
];
