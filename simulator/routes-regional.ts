/**
 * Compute's regional collections for regional load balancers, served by the same handlers as their
 * global and zonal twins (routes-compute.ts reads the scope from `:region`):
 * regionBackendServices (get, list, patch, getHealth), regionUrlMaps (get), regionHealthChecks (get, list, patch),
 * regionInstanceGroups (get, list, listInstances, setNamedPorts), regionInstanceGroupManagers (get,
 * list) and subnetworks (get, list, where the proxy-only subnets of regional load balancers are).
 * Regional operations (get, wait) are in routes-compute.ts. Paths and methods follow the Compute v1
 * discovery document (`regionBackendServices.getHealth` is `POST .../backendServices/{bs}/getHealth`).
 */
import { subnetworkJson } from './compute-wire';
import { notFound } from './errors';
import {
  byName,
  getBackendService,
  getHealth,
  getHealthCheck,
  getInstanceGroup,
  getManager,
  getUrlMap,
  listAnswer,
  listBackendServices,
  listHealthChecks,
  listInstanceGroups,
  listInstances,
  listManagers,
  patchBackendService,
  patchHealthCheck,
  projectOf,
  setNamedPorts,
} from './routes-compute';
import type { Route, RouteContext } from './router';
import { param } from './router';

const R = '/compute/v1/projects/:project/regions/:region';

function listSubnetworks(ctx: RouteContext): Record<string, unknown> {
  const project = projectOf(ctx);
  const region = param(ctx, 'region');
  const items = byName(project.subnetworks.values())
    .filter((subnet) => subnet.region === region)
    .map((subnet) => subnetworkJson(project.projectId, subnet));
  return listAnswer(ctx, 'compute#subnetworkList', `regions/${region}/subnetworks`, items);
}

function getSubnetwork(ctx: RouteContext): Record<string, unknown> {
  const project = projectOf(ctx);
  const region = param(ctx, 'region');
  const name = param(ctx, 'name');
  const subnet = project.subnetworks.get(name);
  if (!subnet || subnet.region !== region)
    throw notFound(`projects/${project.projectId}/regions/${region}/subnetworks/${name}`);
  return subnetworkJson(project.projectId, subnet);
}

export const regionalRoutes: Route[] = [
  { method: 'GET', template: `${R}/backendServices`, handler: listBackendServices },
  { method: 'GET', template: `${R}/backendServices/:name`, handler: getBackendService },
  { method: 'PATCH', template: `${R}/backendServices/:name`, handler: patchBackendService },
  { method: 'POST', template: `${R}/backendServices/:name/getHealth`, handler: getHealth },
  { method: 'GET', template: `${R}/urlMaps/:name`, handler: getUrlMap },

  { method: 'GET', template: `${R}/healthChecks`, handler: listHealthChecks },
  { method: 'GET', template: `${R}/healthChecks/:name`, handler: getHealthCheck },
  { method: 'PATCH', template: `${R}/healthChecks/:name`, handler: patchHealthCheck },

  { method: 'GET', template: `${R}/instanceGroups`, handler: listInstanceGroups },
  { method: 'GET', template: `${R}/instanceGroups/:name`, handler: getInstanceGroup },
  { method: 'POST', template: `${R}/instanceGroups/:name/listInstances`, handler: listInstances },
  { method: 'POST', template: `${R}/instanceGroups/:name/setNamedPorts`, handler: setNamedPorts },

  { method: 'GET', template: `${R}/instanceGroupManagers`, handler: listManagers },
  { method: 'GET', template: `${R}/instanceGroupManagers/:name`, handler: getManager },

  { method: 'GET', template: `${R}/subnetworks`, handler: listSubnetworks },
  { method: 'GET', template: `${R}/subnetworks/:name`, handler: getSubnetwork },
];
