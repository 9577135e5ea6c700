/**
 * Compute Engine v1 REST routes: the subset lbmedic reads and mutates. Reads answer from the
 * project's maps; mutations validate at once and answer with an operation that applies the change at
 * DONE (see operations.ts). The handlers of resources that also exist per region (backend services,
 * health checks, instance groups and their managers) read the scope from the route's `:region` or
 * `:zone` parameter; routes-regional.ts serves them under `regions/R/`.
 */
import {
  backendServiceJson,
  firewallJson,
  healthCheckJson,
  instanceGroupJson,
  instanceGroupManagerJson,
  instanceJson,
  networkEndpointGroupJson,
} from './compute-wire';
import {
  backendServicePatch,
  firewallFromInsert,
  firewallPatch,
  healthCheckFromInsert,
  healthCheckPatch,
  parseNamedPorts,
} from './compute-mutations';
import { aggregatedAnswer, aggregatedScopes } from './aggregated';
import { alreadyExists, ApiError, conditionNotMet, faultError, invalid, notFound } from './errors';
import { parseComputeFilter } from './compute-filter';
import { FilterSyntaxError, matchesObject } from './log-filter';
import type { BackendService, HealthCheck, InstanceGroup, NetworkEndpointGroup, Project } from './model';
import { groupHealth } from './group-health';
import type { OperationJson, OperationScope } from './operations';
import { pageSize, paginate } from './pagination';
import type { Route, RouteContext } from './router';
import { bodyObject, param } from './router';
import { regionLink, resourceName, selfLink } from './urls';
import { newFingerprint } from './world';

const P = '/compute/v1/projects/:project';

export function projectOf(ctx: RouteContext): Project {
  const id = param(ctx, 'project');
  const project = ctx.world.projects.get(id);
  if (!project) throw notFound(`projects/${id}`);
  return project;
}

/** The project again when an operation completes: a scenario reload may have replaced it. */
export function currentProject(ctx: RouteContext, projectId: string): Project {
  const project = ctx.world.projects.get(projectId);
  if (!project) throw notFound(`projects/${projectId}`);
  return project;
}

function compileFilter(raw: string | null) {
  if (!raw) return undefined;
  try {
    return parseComputeFilter(raw);
  } catch (err) {
    if (err instanceof FilterSyntaxError)
      throw invalid(`Invalid value for field 'filter': '${raw}'. ${err.message}`);
    throw err;
  }
}

/**
 * A Compute list answer: `filter` (the shared filter subset, compared case-sensitively), `orderBy`
 * (`name` or `creationTimestamp desc`), `maxResults` (default and max 500), `pageToken`.
 */
export function listAnswer(
  ctx: RouteContext,
  kind: string,
  collection: string,
  items: Record<string, unknown>[],
): Record<string, unknown> {
  const filter = compileFilter(ctx.query.get('filter'));
  let selected = items.filter((item) => matchesObject(filter, item, { caseSensitive: true }));
  const orderBy = ctx.query.get('orderBy');
  if (orderBy === 'creationTimestamp desc') {
    selected = [...selected].sort((a, b) =>
      String(b['creationTimestamp']).localeCompare(String(a['creationTimestamp'])),
    );
  } else if (orderBy && orderBy !== 'name' && orderBy !== 'creationTimestamp') {
    throw invalid(
      `Invalid value for field 'orderBy': '${orderBy}'. Supported: name, creationTimestamp, creationTimestamp desc.`,
    );
  } else if (orderBy === 'creationTimestamp') {
    selected = [...selected].sort((a, b) =>
      String(a['creationTimestamp']).localeCompare(String(b['creationTimestamp'])),
    );
  }
  const size = pageSize(ctx.query.get('maxResults') ?? undefined, {
    defaultSize: 500,
    max: 500,
    field: 'maxResults',
  });
  const page = paginate(selected, size, ctx.query.get('pageToken') ?? undefined);
  const projectId = param(ctx, 'project');
  const out: Record<string, unknown> = {
    kind,
    id: `projects/${projectId}/${collection}`,
    items: page.items,
    selfLink: `https://www.googleapis.com/compute/v1/projects/${projectId}/${collection}`,
  };
  if (page.nextPageToken) out['nextPageToken'] = page.nextPageToken;
  return out;
}

export const byName = <T extends { name: string }>(items: Iterable<T>): T[] =>
  [...items].sort((a, b) => a.name.localeCompare(b.name));

/** Starts the operation of a validated mutation; `apply` makes the change at DONE. */
export function startOperation(
  ctx: RouteContext,
  project: Project,
  scope: OperationScope,
  operationType: string,
  target: { link: string; id: string },
  apply: () => void,
): OperationJson {
  const fault = ctx.faults.take({ service: 'compute', method: ctx.method, path: ctx.path }, 'operation');
  return ctx.ops.start({
    project: project.projectId,
    scope,
    operationType,
    targetLink: target.link,
    targetId: target.id,
    apply,
    failWith: fault?.status === undefined ? undefined : faultError(fault.status),
  });
}

/** 412 when the request carries a fingerprint that is no longer current. */
function checkFingerprint(given: unknown, current: string, resourcePath: string): void {
  if (given === undefined || given === null || given === '') return;
  if (given !== current) {
    throw conditionNotMet(
      `Invalid fingerprint. The resource '${resourcePath}' was modified since the fingerprint was read; read it again and retry.`,
    );
  }
}

/** `global` or `regions/R`: where a global-or-regional resource lives. */
function scopeOf(region: string | undefined): string {
  return region === undefined ? 'global' : `regions/${region}`;
}

/** The operation scope of a change to a global-or-regional resource. */
function operationScopeOf(region: string | undefined): OperationScope {
  return region === undefined ? {} : { region };
}

// ------------------------------------------------------------------------------------ backend services

/** The route's backend service: global, or in the route's `:region` (a global route never finds a regional one). */
function backendServiceOf(ctx: RouteContext, project: Project): BackendService {
  const name = param(ctx, 'name');
  const region = ctx.params['region'];
  const bs = project.backendServices.get(name);
  if (!bs || bs.region !== region)
    throw notFound(`projects/${project.projectId}/${scopeOf(region)}/backendServices/${name}`);
  return bs;
}

export function getBackendService(ctx: RouteContext): Record<string, unknown> {
  const project = projectOf(ctx);
  return backendServiceJson(project.projectId, backendServiceOf(ctx, project));
}

export function listBackendServices(ctx: RouteContext): Record<string, unknown> {
  const project = projectOf(ctx);
  const region = ctx.params['region'];
  const items = byName(project.backendServices.values())
    .filter((bs) => bs.region === region)
    .map((bs) => backendServiceJson(project.projectId, bs));
  return listAnswer(ctx, 'compute#backendServiceList', `${scopeOf(region)}/backendServices`, items);
}

/** getHealth for one backend group of the route's backend service (group-health.ts). */
export function getHealth(ctx: RouteContext): Record<string, unknown> {
  const project = projectOf(ctx);
  return groupHealth(project, backendServiceOf(ctx, project), bodyObject(ctx));
}

export function patchBackendService(ctx: RouteContext): OperationJson {
  const project = projectOf(ctx);
  const bs = backendServiceOf(ctx, project);
  const body = bodyObject(ctx);
  const path = `projects/${project.projectId}/${scopeOf(bs.region)}/backendServices/${bs.name}`;
  checkFingerprint(body['fingerprint'], bs.fingerprint, path);
  const change = backendServicePatch(project, bs, body);
  // "An up-to-date fingerprint must be provided in order to update the BackendService, otherwise the
  // request will fail with error 412 conditionNotMet" (BackendService.fingerprint, Compute v1).
  if (typeof body['fingerprint'] !== 'string' || body['fingerprint'] === '') {
    throw conditionNotMet(
      `Required field 'fingerprint' not specified: read '${path}' and send its fingerprint with the change.`,
    );
  }
  const given = body['fingerprint'];
  return startOperation(
    ctx,
    project,
    operationScopeOf(bs.region),
    'patch',
    { link: selfLink(project.projectId, 'backendServices', bs.name, bs.region), id: bs.id },
    () => {
      const current = currentProject(ctx, project.projectId).backendServices.get(bs.name);
      if (!current) throw notFound(path);
      checkFingerprint(given, current.fingerprint, path);
      Object.assign(current, change, { fingerprint: newFingerprint() });
    },
  );
}

// ------------------------------------------------------------------------------------- health checks

/** The route's health check: global, or in the route's `:region`. */
function healthCheckIn(ctx: RouteContext, project: Project): { hc: HealthCheck; path: string } {
  const name = param(ctx, 'name');
  const region = ctx.params['region'];
  const path = `projects/${project.projectId}/${scopeOf(region)}/healthChecks/${name}`;
  const hc = project.healthChecks.get(name);
  if (!hc || hc.region !== region) throw notFound(path);
  return { hc, path };
}

export function getHealthCheck(ctx: RouteContext): Record<string, unknown> {
  const project = projectOf(ctx);
  return healthCheckJson(project.projectId, healthCheckIn(ctx, project).hc);
}

export function listHealthChecks(ctx: RouteContext): Record<string, unknown> {
  const project = projectOf(ctx);
  const region = ctx.params['region'];
  const items = byName(project.healthChecks.values())
    .filter((hc) => hc.region === region)
    .map((hc) => healthCheckJson(project.projectId, hc));
  return listAnswer(ctx, 'compute#healthCheckList', `${scopeOf(region)}/healthChecks`, items);
}

export function patchHealthCheck(ctx: RouteContext): OperationJson {
  const project = projectOf(ctx);
  const { hc, path } = healthCheckIn(ctx, project);
  const name = hc.name;
  const change = healthCheckPatch(hc, bodyObject(ctx));
  return startOperation(
    ctx,
    project,
    operationScopeOf(hc.region),
    'patch',
    { link: selfLink(project.projectId, 'healthChecks', name, hc.region), id: hc.id },
    () => {
      const current = currentProject(ctx, project.projectId).healthChecks.get(name);
      if (!current) throw notFound(path);
      Object.assign(current, change);
    },
  );
}

function insertHealthCheck(ctx: RouteContext): OperationJson {
  const project = projectOf(ctx);
  const hc = healthCheckFromInsert(bodyObject(ctx), ctx.world.newId());
  const path = `projects/${project.projectId}/global/healthChecks/${hc.name}`;
  const link = selfLink(project.projectId, 'healthChecks', hc.name);
  const pendingInsert = ctx.ops
    .list(project.projectId)
    .some((op) => op.status !== 'DONE' && op['operationType'] === 'insert' && op['targetLink'] === link);
  if (project.healthChecks.has(hc.name) || pendingInsert) throw alreadyExists(path);
  return startOperation(ctx, project, {}, 'insert', { link, id: hc.id }, () => {
    const current = currentProject(ctx, project.projectId);
    if (current.healthChecks.has(hc.name)) throw alreadyExists(path);
    current.healthChecks.set(hc.name, hc);
  });
}

/**
 * Compute refuses to delete a health check a backend service still names: 400
 * `resourceInUseByAnotherResource`, "The health_check resource '…' is already being used by '…'"
 * (the wording as gcloud and Terraform users report it, e.g. kubernetes/test-infra#2678).
 */
function checkHealthCheckUnused(project: Project, name: string): void {
  const user = byName(project.backendServices.values()).find((bs) =>
    bs.healthChecks.some((url) => resourceName(url) === name),
  );
  if (user) {
    throw new ApiError(
      400,
      `The health_check resource 'projects/${project.projectId}/global/healthChecks/${name}' is already being used by 'projects/${project.projectId}/global/backendServices/${user.name}'`,
      'resourceInUseByAnotherResource',
    );
  }
}

function deleteHealthCheck(ctx: RouteContext): OperationJson {
  const project = projectOf(ctx);
  const name = param(ctx, 'name');
  const path = `projects/${project.projectId}/global/healthChecks/${name}`;
  const hc = project.healthChecks.get(name);
  if (!hc) throw notFound(path);
  checkHealthCheckUnused(project, name);
  return startOperation(
    ctx,
    project,
    {},
    'delete',
    { link: selfLink(project.projectId, 'healthChecks', name), id: hc.id },
    () => {
      const current = currentProject(ctx, project.projectId);
      if (!current.healthChecks.has(name)) throw notFound(path);
      checkHealthCheckUnused(current, name);
      current.healthChecks.delete(name);
    },
  );
}

// ----------------------------------------------------------------------------------------- firewalls

function insertFirewall(ctx: RouteContext): OperationJson {
  const project = projectOf(ctx);
  const fw = firewallFromInsert(project, bodyObject(ctx), ctx.world.newId());
  const path = `projects/${project.projectId}/global/firewalls/${fw.name}`;
  const link = selfLink(project.projectId, 'firewalls', fw.name);
  const pendingInsert = ctx.ops
    .list(project.projectId)
    .some((op) => op.status !== 'DONE' && op['operationType'] === 'insert' && op['targetLink'] === link);
  if (project.firewalls.has(fw.name) || pendingInsert) throw alreadyExists(path);
  return startOperation(ctx, project, {}, 'insert', { link, id: fw.id }, () => {
    const current = currentProject(ctx, project.projectId);
    if (current.firewalls.has(fw.name)) throw alreadyExists(path);
    current.firewalls.set(fw.name, fw);
  });
}

function firewallOf(ctx: RouteContext, project: Project) {
  const name = param(ctx, 'name');
  const fw = project.firewalls.get(name);
  if (!fw) throw notFound(`projects/${project.projectId}/global/firewalls/${name}`);
  return fw;
}

function patchFirewall(ctx: RouteContext): OperationJson {
  const project = projectOf(ctx);
  const fw = firewallOf(ctx, project);
  const change = firewallPatch(project, fw, bodyObject(ctx));
  const path = `projects/${project.projectId}/global/firewalls/${fw.name}`;
  return startOperation(
    ctx,
    project,
    {},
    'patch',
    { link: selfLink(project.projectId, 'firewalls', fw.name), id: fw.id },
    () => {
      const current = currentProject(ctx, project.projectId).firewalls.get(fw.name);
      if (!current) throw notFound(path);
      Object.assign(current, change);
    },
  );
}

function deleteFirewall(ctx: RouteContext): OperationJson {
  const project = projectOf(ctx);
  const fw = firewallOf(ctx, project);
  const path = `projects/${project.projectId}/global/firewalls/${fw.name}`;
  return startOperation(
    ctx,
    project,
    {},
    'delete',
    { link: selfLink(project.projectId, 'firewalls', fw.name), id: fw.id },
    () => {
      const current = currentProject(ctx, project.projectId);
      if (!current.firewalls.delete(fw.name)) throw notFound(path);
    },
  );
}

// ----------------------------------------------------------------------- zonal and regional resources

/** `zones/Z` or `regions/R`, from the route's `:zone` or `:region`. */
function locationOf(ctx: RouteContext): { zone?: string; region?: string; path: string } {
  const zone = ctx.params['zone'];
  if (zone !== undefined) return { zone, path: `zones/${zone}` };
  const region = param(ctx, 'region');
  return { region, path: `regions/${region}` };
}

/** The named item in the route's zone (or, for a regional collection, region). */
function zonal<T extends { name: string; zone?: string; region?: string }>(
  ctx: RouteContext,
  project: Project,
  map: Map<string, T>,
  collection: string,
): T {
  const name = param(ctx, 'name');
  const where = locationOf(ctx);
  const item = map.get(name);
  if (!item || item.zone !== where.zone || (where.region !== undefined && item.region !== where.region))
    throw notFound(`projects/${project.projectId}/${where.path}/${collection}/${name}`);
  return item;
}

function inZone<T extends { zone?: string; region?: string; name: string }>(
  ctx: RouteContext,
  items: Iterable<T>,
): T[] {
  const where = locationOf(ctx);
  return byName(
    [...items].filter((i) => (where.zone !== undefined ? i.zone === where.zone : i.region === where.region)),
  );
}

export function setNamedPorts(ctx: RouteContext): OperationJson {
  const project = projectOf(ctx);
  const ig = zonal(ctx, project, project.instanceGroups, 'instanceGroups');
  const body = bodyObject(ctx);
  const location = ig.zone ?? ig.region;
  const path = `projects/${project.projectId}/${locationOf(ctx).path}/instanceGroups/${ig.name}`;
  checkFingerprint(body['fingerprint'], ig.fingerprint, path);
  const namedPorts = parseNamedPorts(body['namedPorts']);
  const given = body['fingerprint'];
  return startOperation(
    ctx,
    project,
    ig.zone === undefined ? operationScopeOf(ig.region) : { zone: ig.zone },
    'setNamedPorts',
    { link: selfLink(project.projectId, 'instanceGroups', ig.name, location), id: ig.id },
    () => {
      const current = currentProject(ctx, project.projectId).instanceGroups.get(ig.name);
      if (!current) throw notFound(path);
      checkFingerprint(given, current.fingerprint, path);
      current.namedPorts = namedPorts;
      current.fingerprint = newFingerprint();
    },
  );
}

/**
 * listInstances. The regional form also takes `portName` (RegionInstanceGroupsListInstancesRequest):
 * each instance is listed with the group's named ports of that name, and none when there is none.
 */
export function listInstances(ctx: RouteContext): Record<string, unknown> {
  const project = projectOf(ctx);
  const ig = zonal(ctx, project, project.instanceGroups, 'instanceGroups');
  const body = bodyObject(ctx);
  const state = body['instanceState'] ?? 'ALL';
  if (state !== 'ALL' && state !== 'RUNNING') {
    throw invalid(
      `Invalid value for field 'resource.instanceState': '${String(state)}'. Must be ALL or RUNNING.`,
    );
  }
  const portName = ig.region === undefined ? undefined : body['portName'];
  if (portName !== undefined && typeof portName !== 'string')
    throw invalid(`Invalid value for field 'resource.portName': '${String(portName)}'. Must be a string.`);
  const ports = ig.namedPorts.filter((p) => portName === undefined || p.name === portName);
  const items = (portName !== undefined && ports.length === 0 ? [] : ig.instances)
    .map((name) => project.instances.get(name))
    .filter((inst) => inst !== undefined)
    .filter((inst) => state === 'ALL' || inst.status === 'RUNNING')
    .map((inst) => ({
      instance: selfLink(project.projectId, 'instances', inst.name, inst.zone),
      status: inst.status,
      namedPorts: ports.map((p) => ({ ...p })),
    }));
  const where = locationOf(ctx);
  const answer = listAnswer(
    ctx,
    where.zone === undefined
      ? 'compute#regionInstanceGroupsListInstances'
      : 'compute#instanceGroupsListInstances',
    `${where.path}/instanceGroups/${ig.name}`,
    items,
  );
  answer['selfLink'] =
    `${selfLink(project.projectId, 'instanceGroups', ig.name, ig.zone ?? ig.region)}/listInstances`;
  return answer;
}

export function listInstanceGroups(ctx: RouteContext): Record<string, unknown> {
  const project = projectOf(ctx);
  const where = locationOf(ctx);
  const items = inZone(ctx, project.instanceGroups.values()).map((ig) =>
    instanceGroupJson(project.projectId, ig),
  );
  const kind = where.zone === undefined ? 'compute#regionInstanceGroupList' : 'compute#instanceGroupList';
  return listAnswer(ctx, kind, `${where.path}/instanceGroups`, items);
}

export function getInstanceGroup(ctx: RouteContext): Record<string, unknown> {
  const project = projectOf(ctx);
  return instanceGroupJson(project.projectId, zonal(ctx, project, project.instanceGroups, 'instanceGroups'));
}

function managerOf(ctx: RouteContext, project: Project): InstanceGroup {
  const name = param(ctx, 'name');
  const where = locationOf(ctx);
  const ig = [...project.instanceGroups.values()].find(
    (g) =>
      g.managerName === name &&
      g.zone === where.zone &&
      (where.region === undefined || g.region === where.region),
  );
  if (!ig) throw notFound(`projects/${project.projectId}/${where.path}/instanceGroupManagers/${name}`);
  return ig;
}

function managerJson(project: Project, ig: InstanceGroup): Record<string, unknown> {
  const zones = ig.instances.flatMap((name) => project.instances.get(name)?.zone ?? []);
  return instanceGroupManagerJson(project.projectId, ig, zones);
}

export function listManagers(ctx: RouteContext): Record<string, unknown> {
  const project = projectOf(ctx);
  const where = locationOf(ctx);
  const items = inZone(ctx, project.instanceGroups.values())
    .filter((ig) => ig.managerName !== undefined)
    .map((ig) => managerJson(project, ig));
  const kind =
    where.zone === undefined ? 'compute#regionInstanceGroupManagerList' : 'compute#instanceGroupManagerList';
  return listAnswer(ctx, kind, `${where.path}/instanceGroupManagers`, items);
}

export function getManager(ctx: RouteContext): Record<string, unknown> {
  const project = projectOf(ctx);
  return managerJson(project, managerOf(ctx, project));
}

// ---------------------------------------------------------------------------------------------- NEGs

export function negLocation(neg: NetworkEndpointGroup): string {
  if (neg.zone) return `zones/${neg.zone}`;
  return neg.region ? `regions/${neg.region}` : 'global';
}

export function negsIn(project: Project, scope: string): Record<string, unknown>[] {
  return byName(project.networkEndpointGroups.values())
    .filter((neg) => negLocation(neg) === scope)
    .map((neg) => networkEndpointGroupJson(project.projectId, neg));
}

export function negOf(ctx: RouteContext, project: Project, scope: string): Record<string, unknown> {
  const name = param(ctx, 'name');
  const neg = project.networkEndpointGroups.get(name);
  if (!neg || negLocation(neg) !== scope)
    throw notFound(`projects/${project.projectId}/${scope}/networkEndpointGroups/${name}`);
  return networkEndpointGroupJson(project.projectId, neg);
}

/** The aggregated list of NEGs: every scope, the empty ones with a NO_RESULTS_ON_PAGE warning (aggregated.ts). */
function aggregatedNegs(ctx: RouteContext): Record<string, unknown> {
  const project = projectOf(ctx);
  return aggregatedAnswer({
    kind: 'compute#networkEndpointGroupAggregatedList',
    projectId: project.projectId,
    collection: 'networkEndpointGroups',
    scopes: aggregatedScopes(project),
    items: byName(project.networkEndpointGroups.values()).map((neg) => ({
      scope: negLocation(neg),
      json: networkEndpointGroupJson(project.projectId, neg),
    })),
    filter: compileFilter(ctx.query.get('filter')),
    maxResults: ctx.query.get('maxResults') ?? undefined,
    pageToken: ctx.query.get('pageToken') ?? undefined,
  });
}

/** `instances.aggregatedList`: every zone, the empty ones with a NO_RESULTS_ON_PAGE warning (aggregated.ts). */
function aggregatedInstances(ctx: RouteContext): Record<string, unknown> {
  const project = projectOf(ctx);
  return aggregatedAnswer({
    kind: 'compute#instanceAggregatedList',
    projectId: project.projectId,
    collection: 'instances',
    scopes: aggregatedScopes(project),
    items: byName(project.instances.values()).map((inst) => ({
      scope: `zones/${inst.zone}`,
      json: instanceJson(project.projectId, inst),
    })),
    filter: compileFilter(ctx.query.get('filter')),
    maxResults: ctx.query.get('maxResults') ?? undefined,
    pageToken: ctx.query.get('pageToken') ?? undefined,
  });
}

/**
 * `backendServices.aggregatedList`: the global backend services under `global` and the regional ones
 * under their `regions/R`; zones hold no backend services, so only `global` and the regions are
 * scopes (BackendServiceAggregatedList in the Compute v1 discovery document).
 */
function aggregatedBackendServices(ctx: RouteContext): Record<string, unknown> {
  const project = projectOf(ctx);
  return aggregatedAnswer({
    kind: 'compute#backendServiceAggregatedList',
    projectId: project.projectId,
    collection: 'backendServices',
    scopes: ['global', ...aggregatedScopes(project).filter((s) => s.startsWith('regions/'))],
    items: byName(project.backendServices.values()).map((bs) => ({
      scope: scopeOf(bs.region),
      json: backendServiceJson(project.projectId, bs),
    })),
    filter: compileFilter(ctx.query.get('filter')),
    maxResults: ctx.query.get('maxResults') ?? undefined,
    pageToken: ctx.query.get('pageToken') ?? undefined,
  });
}

// ---------------------------------------------------------------------------------------- operations

function operationScope(ctx: RouteContext): OperationScope {
  const zone = ctx.params['zone'];
  const region = ctx.params['region'];
  if (zone !== undefined) return { zone };
  if (region !== undefined) return { region };
  return {};
}

function getOperation(ctx: RouteContext): OperationJson {
  projectOf(ctx);
  return ctx.ops.get(param(ctx, 'project'), operationScope(ctx), param(ctx, 'operation'));
}

// ------------------------------------------------------------------------------------------- URL maps

/**
 * `urlMaps.get`. The model keeps no URL maps: one is derived from the backend services whose frontend
 * names it. The first service by name is the `defaultService`; any others are reached through one path
 * matcher with a `/<service>/*` rule each, so a reader of `pathMatchers` finds every service behind it.
 */
export function getUrlMap(ctx: RouteContext): Record<string, unknown> {
  const project = projectOf(ctx);
  const name = param(ctx, 'name');
  // A regional load balancer's URL map is regional (regionUrlMaps), like its backend services.
  const region = ctx.params['region'];
  const services = byName(project.backendServices.values()).filter(
    (bs) => resourceName(bs.frontend.urlMap) === name && bs.region === region,
  );
  const [first, ...rest] = services;
  if (!first) throw notFound(`projects/${project.projectId}/${scopeOf(region)}/urlMaps/${name}`);
  const link = (bs: BackendService) => selfLink(project.projectId, 'backendServices', bs.name, bs.region);
  const matcher = 'path-matcher-1';
  return {
    kind: 'compute#urlMap',
    name,
    ...(region === undefined ? {} : { region: regionLink(project.projectId, region) }),
    selfLink: selfLink(project.projectId, 'urlMaps', name, region),
    defaultService: link(first),
    hostRules: rest.length > 0 ? [{ hosts: ['*'], pathMatcher: matcher }] : [],
    pathMatchers:
      rest.length > 0
        ? [
            {
              name: matcher,
              defaultService: link(first),
              pathRules: rest.map((bs) => ({ paths: [`/${bs.name}/*`], service: link(bs) })),
            },
          ]
        : [],
  };
}

async function waitOperation(ctx: RouteContext): Promise<OperationJson> {
  projectOf(ctx);
  return ctx.ops.wait(param(ctx, 'project'), operationScope(ctx), param(ctx, 'operation'));
}

// -------------------------------------------------------------------------------------------- routes

export const computeRoutes: Route[] = [
  { method: 'GET', template: `${P}/global/backendServices`, handler: listBackendServices },
  { method: 'GET', template: `${P}/global/backendServices/:name`, handler: getBackendService },
  { method: 'PATCH', template: `${P}/global/backendServices/:name`, handler: patchBackendService },
  { method: 'POST', template: `${P}/global/backendServices/:name/getHealth`, handler: getHealth },
  { method: 'GET', template: `${P}/global/urlMaps/:name`, handler: getUrlMap },

  { method: 'GET', template: `${P}/global/healthChecks`, handler: listHealthChecks },
  { method: 'GET', template: `${P}/global/healthChecks/:name`, handler: getHealthCheck },
  { method: 'POST', template: `${P}/global/healthChecks`, handler: insertHealthCheck },
  { method: 'PATCH', template: `${P}/global/healthChecks/:name`, handler: patchHealthCheck },
  { method: 'DELETE', template: `${P}/global/healthChecks/:name`, handler: deleteHealthCheck },

  {
    method: 'GET',
    template: `${P}/global/firewalls`,
    handler: (ctx) => {
      const project = projectOf(ctx);
      const items = byName(project.firewalls.values()).map((fw) => firewallJson(project.projectId, fw));
      return listAnswer(ctx, 'compute#firewallList', 'global/firewalls', items);
    },
  },
  { method: 'POST', template: `${P}/global/firewalls`, handler: insertFirewall },
  {
    method: 'GET',
    template: `${P}/global/firewalls/:name`,
    handler: (ctx) => {
      const project = projectOf(ctx);
      return firewallJson(project.projectId, firewallOf(ctx, project));
    },
  },
  { method: 'PATCH', template: `${P}/global/firewalls/:name`, handler: patchFirewall },
  { method: 'DELETE', template: `${P}/global/firewalls/:name`, handler: deleteFirewall },

  { method: 'GET', template: `${P}/zones/:zone/instanceGroups`, handler: listInstanceGroups },
  { method: 'GET', template: `${P}/zones/:zone/instanceGroups/:name`, handler: getInstanceGroup },
  { method: 'POST', template: `${P}/zones/:zone/instanceGroups/:name/setNamedPorts`, handler: setNamedPorts },
  { method: 'POST', template: `${P}/zones/:zone/instanceGroups/:name/listInstances`, handler: listInstances },

  { method: 'GET', template: `${P}/zones/:zone/instanceGroupManagers`, handler: listManagers },
  { method: 'GET', template: `${P}/zones/:zone/instanceGroupManagers/:name`, handler: getManager },

  {
    method: 'GET',
    template: `${P}/zones/:zone/instances`,
    handler: (ctx) => {
      const project = projectOf(ctx);
      const items = inZone(ctx, project.instances.values()).map((i) => instanceJson(project.projectId, i));
      return listAnswer(ctx, 'compute#instanceList', `zones/${param(ctx, 'zone')}/instances`, items);
    },
  },
  {
    method: 'GET',
    template: `${P}/zones/:zone/instances/:name`,
    handler: (ctx) => {
      const project = projectOf(ctx);
      return instanceJson(project.projectId, zonal(ctx, project, project.instances, 'instances'));
    },
  },

  // Zonal (GCE_VM_IP_PORT, hybrid) and regional (serverless) NEGs answer the same way in their
  // scope; global (internet) NEGs are in routes-negs.ts.
  ...(['zone', 'region'] as const).flatMap((kind): Route[] => [
    {
      method: 'GET',
      template: `${P}/${kind}s/:${kind}/networkEndpointGroups`,
      handler: (ctx) => {
        const project = projectOf(ctx);
        const scope = `${kind}s/${param(ctx, kind)}`;
        return listAnswer(
          ctx,
          'compute#networkEndpointGroupList',
          `${scope}/networkEndpointGroups`,
          negsIn(project, scope),
        );
      },
    },
    {
      method: 'GET',
      template: `${P}/${kind}s/:${kind}/networkEndpointGroups/:name`,
      handler: (ctx) => negOf(ctx, projectOf(ctx), `${kind}s/${param(ctx, kind)}`),
    },
  ]),
  { method: 'GET', template: `${P}/aggregated/networkEndpointGroups`, handler: aggregatedNegs },
  { method: 'GET', template: `${P}/aggregated/instances`, handler: aggregatedInstances },
  { method: 'GET', template: `${P}/aggregated/backendServices`, handler: aggregatedBackendServices },

  { method: 'GET', template: `${P}/global/operations/:operation`, handler: getOperation },
  { method: 'POST', template: `${P}/global/operations/:operation/wait`, handler: waitOperation },
  { method: 'GET', template: `${P}/zones/:zone/operations/:operation`, handler: getOperation },
  { method: 'POST', template: `${P}/zones/:zone/operations/:operation/wait`, handler: waitOperation },
  { method: 'GET', template: `${P}/regions/:region/operations/:operation`, handler: getOperation },
  { method: 'POST', template: `${P}/regions/:region/operations/:operation/wait`, handler: waitOperation },
];
