/**
 * Compute Engine v1 REST routes: the subset lbmedic reads and mutates. Reads answer from the
 * project's maps; mutations validate at once and answer with an operation that applies the change at
 * DONE (see operations.ts).
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
import { alreadyExists, ApiError, conditionNotMet, faultError, invalid, notFound } from './errors';
import { FilterSyntaxError, matchesObject, parseFilter } from './log-filter';
import type { BackendService, InstanceGroup, NetworkEndpointGroup, Project } from './model';
import type { OperationJson, OperationScope } from './operations';
import { pageSize, paginate } from './pagination';
import type { Route, RouteContext } from './router';
import { bodyObject, param } from './router';
import { parseResourceUrl, resourceName, sameResource, selfLink } from './urls';
import { newFingerprint } from './world';

const P = '/compute/v1/projects/:project';

function projectOf(ctx: RouteContext): Project {
  const id = param(ctx, 'project');
  const project = ctx.world.projects.get(id);
  if (!project) throw notFound(`projects/${id}`);
  return project;
}

/** The project again when an operation completes: a scenario reload may have replaced it. */
function currentProject(ctx: RouteContext, projectId: string): Project {
  const project = ctx.world.projects.get(projectId);
  if (!project) throw notFound(`projects/${projectId}`);
  return project;
}

function compileFilter(raw: string | null) {
  if (!raw) return undefined;
  try {
    return parseFilter(raw);
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
function listAnswer(
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

const byName = <T extends { name: string }>(items: Iterable<T>): T[] =>
  [...items].sort((a, b) => a.name.localeCompare(b.name));

function startOperation(
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

// ------------------------------------------------------------------------------------ backend services

function backendServiceOf(ctx: RouteContext, project: Project): BackendService {
  const name = param(ctx, 'name');
  const bs = project.backendServices.get(name);
  if (!bs) throw notFound(`projects/${project.projectId}/global/backendServices/${name}`);
  return bs;
}

function namedPortValue(ig: InstanceGroup, portName: string, fallback: number): number {
  return ig.namedPorts.find((p) => p.name === portName)?.port ?? fallback;
}

/**
 * getHealth for one backend group. Instance groups: one status per instance, `port` the group's named
 * port for the backend service's portName. GCE_VM_IP_PORT NEGs: one status per endpoint. Serverless
 * and internet NEGs have no health checks, so there is nothing to report: we answer with no
 * `healthStatus`, which is what we understand GCP does (unverified).
 */
function getHealth(ctx: RouteContext): Record<string, unknown> {
  const project = projectOf(ctx);
  const bs = backendServiceOf(ctx, project);
  const body = bodyObject(ctx);
  const group = body['group'];
  if (typeof group !== 'string' || group === '')
    throw invalid("Required field 'resource.group' not specified");
  const ref = parseResourceUrl(group);
  const backend = bs.backends.find((b) => sameResource(b.group, group));
  if (!ref || !backend) {
    // GCP's exact wording here is unverified; the status (400) is what a wrong group gets.
    throw invalid(
      `Invalid value for field 'resource.group': '${group}'. It is not a backend of backend service '${bs.name}'.`,
    );
  }
  const answer: Record<string, unknown> = { kind: 'compute#backendServiceGroupHealth' };
  const record = (instance: string) => project.health.get(`${bs.name}/${instance}`);
  if (ref.kind === 'instanceGroups') {
    const ig = project.instanceGroups.get(ref.name);
    if (!ig)
      throw notFound(`projects/${project.projectId}/zones/${ref.zone ?? ''}/instanceGroups/${ref.name}`);
    answer['healthStatus'] = ig.instances.map((name) => {
      const inst = project.instances.get(name);
      const probe = record(name);
      return {
        healthState: probe?.state ?? 'UNHEALTHY',
        instance: selfLink(project.projectId, 'instances', name, inst?.zone ?? ig.zone),
        ipAddress: probe?.ipAddress ?? inst?.networkIP ?? '',
        port: probe?.port ?? namedPortValue(ig, bs.portName, bs.port),
      };
    });
    return answer;
  }
  const neg = project.networkEndpointGroups.get(ref.name);
  if (!neg)
    throw notFound(
      `projects/${project.projectId}/${ref.zone ? `zones/${ref.zone}` : `regions/${ref.region ?? ''}`}/networkEndpointGroups/${ref.name}`,
    );
  if (neg.networkEndpointType === 'GCE_VM_IP_PORT') {
    answer['healthStatus'] = neg.endpoints.map((ep) => {
      const inst = project.instances.get(ep.instance);
      return {
        healthState: record(ep.instance)?.state ?? 'UNHEALTHY',
        instance: selfLink(project.projectId, 'instances', ep.instance, inst?.zone ?? neg.zone),
        ipAddress: inst?.networkIP ?? '',
        port: ep.port,
      };
    });
  }
  return answer;
}

function patchBackendService(ctx: RouteContext): OperationJson {
  const project = projectOf(ctx);
  const bs = backendServiceOf(ctx, project);
  const body = bodyObject(ctx);
  const path = `projects/${project.projectId}/global/backendServices/${bs.name}`;
  checkFingerprint(body['fingerprint'], bs.fingerprint, path);
  const change = backendServicePatch(project, bs, body);
  const given = body['fingerprint'];
  return startOperation(
    ctx,
    project,
    {},
    'patch',
    { link: selfLink(project.projectId, 'backendServices', bs.name), id: bs.id },
    () => {
      const current = currentProject(ctx, project.projectId).backendServices.get(bs.name);
      if (!current) throw notFound(path);
      checkFingerprint(given, current.fingerprint, path);
      Object.assign(current, change, { fingerprint: newFingerprint() });
    },
  );
}

// ------------------------------------------------------------------------------------- health checks

function patchHealthCheck(ctx: RouteContext): OperationJson {
  const project = projectOf(ctx);
  const name = param(ctx, 'name');
  const path = `projects/${project.projectId}/global/healthChecks/${name}`;
  const hc = project.healthChecks.get(name);
  if (!hc) throw notFound(path);
  const change = healthCheckPatch(hc, bodyObject(ctx));
  return startOperation(
    ctx,
    project,
    {},
    'patch',
    { link: selfLink(project.projectId, 'healthChecks', name), id: hc.id },
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

// ----------------------------------------------------------------------------- zonal resources

function zonal<T extends { name: string; zone: string }>(
  ctx: RouteContext,
  project: Project,
  map: Map<string, T>,
  collection: string,
): T {
  const name = param(ctx, 'name');
  const zone = param(ctx, 'zone');
  const item = map.get(name);
  if (!item || item.zone !== zone)
    throw notFound(`projects/${project.projectId}/zones/${zone}/${collection}/${name}`);
  return item;
}

function inZone<T extends { zone: string; name: string }>(ctx: RouteContext, items: Iterable<T>): T[] {
  const zone = param(ctx, 'zone');
  return byName([...items].filter((i) => i.zone === zone));
}

function setNamedPorts(ctx: RouteContext): OperationJson {
  const project = projectOf(ctx);
  const ig = zonal(ctx, project, project.instanceGroups, 'instanceGroups');
  const body = bodyObject(ctx);
  const path = `projects/${project.projectId}/zones/${ig.zone}/instanceGroups/${ig.name}`;
  checkFingerprint(body['fingerprint'], ig.fingerprint, path);
  const namedPorts = parseNamedPorts(body['namedPorts']);
  const given = body['fingerprint'];
  return startOperation(
    ctx,
    project,
    { zone: ig.zone },
    'setNamedPorts',
    { link: selfLink(project.projectId, 'instanceGroups', ig.name, ig.zone), id: ig.id },
    () => {
      const current = currentProject(ctx, project.projectId).instanceGroups.get(ig.name);
      if (!current) throw notFound(path);
      checkFingerprint(given, current.fingerprint, path);
      current.namedPorts = namedPorts;
      current.fingerprint = newFingerprint();
    },
  );
}

function listInstances(ctx: RouteContext): Record<string, unknown> {
  const project = projectOf(ctx);
  const ig = zonal(ctx, project, project.instanceGroups, 'instanceGroups');
  const body = bodyObject(ctx);
  const state = body['instanceState'] ?? 'ALL';
  if (state !== 'ALL' && state !== 'RUNNING') {
    throw invalid(
      `Invalid value for field 'resource.instanceState': '${String(state)}'. Must be ALL or RUNNING.`,
    );
  }
  const items = ig.instances
    .map((name) => project.instances.get(name))
    .filter((inst) => inst !== undefined)
    .filter((inst) => state === 'ALL' || inst.status === 'RUNNING')
    .map((inst) => ({
      instance: selfLink(project.projectId, 'instances', inst.name, inst.zone),
      status: inst.status,
      namedPorts: ig.namedPorts.map((p) => ({ ...p })),
    }));
  const answer = listAnswer(
    ctx,
    'compute#instanceGroupsListInstances',
    `zones/${ig.zone}/instanceGroups/${ig.name}`,
    items,
  );
  answer['selfLink'] = `${selfLink(project.projectId, 'instanceGroups', ig.name, ig.zone)}/listInstances`;
  return answer;
}

function managerOf(ctx: RouteContext, project: Project): InstanceGroup {
  const name = param(ctx, 'name');
  const zone = param(ctx, 'zone');
  const ig = [...project.instanceGroups.values()].find((g) => g.managerName === name && g.zone === zone);
  if (!ig) throw notFound(`projects/${project.projectId}/zones/${zone}/instanceGroupManagers/${name}`);
  return ig;
}

// ---------------------------------------------------------------------------------------------- NEGs

function negLocation(neg: NetworkEndpointGroup): string {
  return neg.zone ? `zones/${neg.zone}` : `regions/${neg.region ?? ''}`;
}

function negsIn(project: Project, scope: string): Record<string, unknown>[] {
  return byName(project.networkEndpointGroups.values())
    .filter((neg) => negLocation(neg) === scope)
    .map((neg) => networkEndpointGroupJson(project.projectId, neg));
}

function negOf(ctx: RouteContext, project: Project, scope: string): Record<string, unknown> {
  const name = param(ctx, 'name');
  const neg = project.networkEndpointGroups.get(name);
  if (!neg || negLocation(neg) !== scope)
    throw notFound(`projects/${project.projectId}/${scope}/networkEndpointGroups/${name}`);
  return networkEndpointGroupJson(project.projectId, neg);
}

/** `items` maps `zones/Z` / `regions/R` to `{networkEndpointGroups: [...]}`; only non-empty scopes. */
function aggregatedNegs(ctx: RouteContext): Record<string, unknown> {
  const project = projectOf(ctx);
  const filter = compileFilter(ctx.query.get('filter'));
  const all = byName(project.networkEndpointGroups.values())
    .map((neg) => ({ scope: negLocation(neg), json: networkEndpointGroupJson(project.projectId, neg) }))
    .filter((x) => matchesObject(filter, x.json, { caseSensitive: true }));
  const size = pageSize(ctx.query.get('maxResults') ?? undefined, {
    defaultSize: 500,
    max: 500,
    field: 'maxResults',
  });
  const page = paginate(all, size, ctx.query.get('pageToken') ?? undefined);
  const items: Record<string, { networkEndpointGroups: Record<string, unknown>[] }> = {};
  for (const { scope, json } of page.items) {
    (items[scope] ??= { networkEndpointGroups: [] }).networkEndpointGroups.push(json);
  }
  const answer: Record<string, unknown> = {
    kind: 'compute#networkEndpointGroupAggregatedList',
    id: `projects/${project.projectId}/aggregated/networkEndpointGroups`,
    items,
    selfLink: `https://www.googleapis.com/compute/v1/projects/${project.projectId}/aggregated/networkEndpointGroups`,
  };
  if (page.nextPageToken) answer['nextPageToken'] = page.nextPageToken;
  return answer;
}

/**
 * `instances.aggregatedList`: `items` maps `zones/Z` to `{instances: [...]}`, only non-empty zones (GCP
 * also lists empty scopes with a warning; readers skip those).
 */
function aggregatedInstances(ctx: RouteContext): Record<string, unknown> {
  const project = projectOf(ctx);
  const filter = compileFilter(ctx.query.get('filter'));
  const all = byName(project.instances.values())
    .map((inst) => ({ scope: `zones/${inst.zone}`, json: instanceJson(project.projectId, inst) }))
    .filter((x) => matchesObject(filter, x.json, { caseSensitive: true }));
  const size = pageSize(ctx.query.get('maxResults') ?? undefined, {
    defaultSize: 500,
    max: 500,
    field: 'maxResults',
  });
  const page = paginate(all, size, ctx.query.get('pageToken') ?? undefined);
  const items: Record<string, { instances: Record<string, unknown>[] }> = {};
  for (const { scope, json } of page.items) (items[scope] ??= { instances: [] }).instances.push(json);
  const answer: Record<string, unknown> = {
    kind: 'compute#instanceAggregatedList',
    id: `projects/${project.projectId}/aggregated/instances`,
    items,
    selfLink: `https://www.googleapis.com/compute/v1/projects/${project.projectId}/aggregated/instances`,
  };
  if (page.nextPageToken) answer['nextPageToken'] = page.nextPageToken;
  return answer;
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
function getUrlMap(ctx: RouteContext): Record<string, unknown> {
  const project = projectOf(ctx);
  const name = param(ctx, 'name');
  const services = byName(project.backendServices.values()).filter(
    (bs) => resourceName(bs.frontend.urlMap) === name,
  );
  const [first, ...rest] = services;
  if (!first) throw notFound(`projects/${project.projectId}/global/urlMaps/${name}`);
  const link = (bs: BackendService) => selfLink(project.projectId, 'backendServices', bs.name);
  const matcher = 'path-matcher-1';
  return {
    kind: 'compute#urlMap',
    name,
    selfLink: selfLink(project.projectId, 'urlMaps', name),
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
  {
    method: 'GET',
    template: `${P}/global/backendServices`,
    handler: (ctx) => {
      const project = projectOf(ctx);
      const items = byName(project.backendServices.values()).map((bs) =>
        backendServiceJson(project.projectId, bs),
      );
      return listAnswer(ctx, 'compute#backendServiceList', 'global/backendServices', items);
    },
  },
  {
    method: 'GET',
    template: `${P}/global/backendServices/:name`,
    handler: (ctx) => {
      const project = projectOf(ctx);
      return backendServiceJson(project.projectId, backendServiceOf(ctx, project));
    },
  },
  { method: 'PATCH', template: `${P}/global/backendServices/:name`, handler: patchBackendService },
  { method: 'POST', template: `${P}/global/backendServices/:name/getHealth`, handler: getHealth },
  { method: 'GET', template: `${P}/global/urlMaps/:name`, handler: getUrlMap },

  {
    method: 'GET',
    template: `${P}/global/healthChecks`,
    handler: (ctx) => {
      const project = projectOf(ctx);
      const items = byName(project.healthChecks.values()).map((hc) => healthCheckJson(project.projectId, hc));
      return listAnswer(ctx, 'compute#healthCheckList', 'global/healthChecks', items);
    },
  },
  {
    method: 'GET',
    template: `${P}/global/healthChecks/:name`,
    handler: (ctx) => {
      const project = projectOf(ctx);
      const name = param(ctx, 'name');
      const hc = project.healthChecks.get(name);
      if (!hc) throw notFound(`projects/${project.projectId}/global/healthChecks/${name}`);
      return healthCheckJson(project.projectId, hc);
    },
  },
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

  {
    method: 'GET',
    template: `${P}/zones/:zone/instanceGroups`,
    handler: (ctx) => {
      const project = projectOf(ctx);
      const items = inZone(ctx, project.instanceGroups.values()).map((ig) =>
        instanceGroupJson(project.projectId, ig),
      );
      return listAnswer(
        ctx,
        'compute#instanceGroupList',
        `zones/${param(ctx, 'zone')}/instanceGroups`,
        items,
      );
    },
  },
  {
    method: 'GET',
    template: `${P}/zones/:zone/instanceGroups/:name`,
    handler: (ctx) => {
      const project = projectOf(ctx);
      return instanceGroupJson(
        project.projectId,
        zonal(ctx, project, project.instanceGroups, 'instanceGroups'),
      );
    },
  },
  { method: 'POST', template: `${P}/zones/:zone/instanceGroups/:name/setNamedPorts`, handler: setNamedPorts },
  { method: 'POST', template: `${P}/zones/:zone/instanceGroups/:name/listInstances`, handler: listInstances },

  {
    method: 'GET',
    template: `${P}/zones/:zone/instanceGroupManagers`,
    handler: (ctx) => {
      const project = projectOf(ctx);
      const managed = inZone(ctx, project.instanceGroups.values()).filter(
        (ig) => ig.managerName !== undefined,
      );
      const items = managed.map((ig) => instanceGroupManagerJson(project.projectId, ig));
      return listAnswer(
        ctx,
        'compute#instanceGroupManagerList',
        `zones/${param(ctx, 'zone')}/instanceGroupManagers`,
        items,
      );
    },
  },
  {
    method: 'GET',
    template: `${P}/zones/:zone/instanceGroupManagers/:name`,
    handler: (ctx) => {
      const project = projectOf(ctx);
      return instanceGroupManagerJson(project.projectId, managerOf(ctx, project));
    },
  },

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

  // Zonal (GCE_VM_IP_PORT) and regional (serverless) NEGs answer the same way in their scope.
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

  { method: 'GET', template: `${P}/global/operations/:operation`, handler: getOperation },
  { method: 'POST', template: `${P}/global/operations/:operation/wait`, handler: waitOperation },
  { method: 'GET', template: `${P}/zones/:zone/operations/:operation`, handler: getOperation },
  { method: 'POST', template: `${P}/zones/:zone/operations/:operation/wait`, handler: waitOperation },
  { method: 'GET', template: `${P}/regions/:region/operations/:operation`, handler: getOperation },
  { method: 'POST', template: `${P}/regions/:region/operations/:operation/wait`, handler: waitOperation },
];
