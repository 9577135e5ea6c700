/**
 * Calls every Google API route the simulator serves, for the project a scenario loaded, and checks
 * each 200 answer against the discovery document method it implements (see discovery.ts).
 *
 * How a route gets its parameters, without knowing the route in advance:
 * - `:project` is the loaded project; `:zone` / `:region` take every zone and region the project's
 *   state mentions;
 * - a collection route (`…/backendServices`) is listed first, and the names it lists fill the item
 *   routes below it (`…/backendServices/:name`, `…/:name/getHealth`, …);
 * - custom verbs (`getHealth`, `setNamedPorts`, `getRule`, …), inserts and the Monitoring and
 *   Logging calls take their body or query from the tables below, built from what was read;
 * - a PATCH sends no change (the resource's fingerprint only), a DELETE removes only what this
 *   exerciser inserted, and every operation answered is then read and waited for in its own scope.
 * A route that none of this reaches is reported, operation routes included: global, zonal and
 * regional resources are all mutated, so an operation exists in every scope.
 */
import type { ApiMethod, Discovery } from '../helpers/discovery';
import { methodFor, validate } from '../helpers/discovery';
import type { Sim } from './http-harness';

export interface ServedRoute {
  service: string;
  method: string;
  template: string;
}

type Json = Record<string, unknown>;
type Call = { method: string; path: string; query?: Record<string, string>; body?: unknown };

interface Route extends ServedRoute {
  segments: string[];
  api: ApiMethod | undefined;
}

const isRecord = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const lastSegment = (name: string): string => name.slice(name.lastIndexOf('/') + 1);

/** Query and body of a custom verb on an item, from the item as read. */
const VERBS: Record<string, (item: Json) => Omit<Call, 'method' | 'path'>[]> = {
  getHealth: (item) =>
    ((item['backends'] as Json[] | undefined) ?? []).map((b) => ({ body: { group: b['group'] } })),
  // A regional group's listInstances also takes portName (RegionInstanceGroupsListInstancesRequest).
  listInstances: (item) => [
    { body: { instanceState: 'ALL' } },
    ...(typeof item['region'] === 'string'
      ? ((item['namedPorts'] as Json[] | undefined) ?? []).map((p) => ({
          body: { instanceState: 'RUNNING', portName: p['name'] },
        }))
      : []),
  ],
  // Only the zonal method has a body (NetworkEndpointGroupsListEndpointsRequest); global and regional none.
  listNetworkEndpoints: (item) =>
    typeof item['zone'] === 'string' ? [{ body: { healthStatus: 'SHOW' } }, { body: {} }] : [{}],
  setNamedPorts: (item) => [
    { body: { namedPorts: item['namedPorts'] ?? [], fingerprint: item['fingerprint'] } },
  ],
  getEffectiveFirewalls: () => [{}],
  getRule: (item) =>
    ((item['rules'] as Json[] | undefined) ?? [])
      .slice(0, 2)
      .map((r) => ({ query: { priority: String(r['priority']) } })),
  getAssociation: (item) =>
    ((item['associations'] as Json[] | undefined) ?? []).map((a) => ({ query: { name: String(a['name']) } })),
  // A rule at a free priority, changed and removed again (in that order: the verbs run as listed).
  addRule: () => [{ body: ingressRule(4242, 'deny') }],
  patchRule: () => [
    { query: { priority: '4242' }, body: { description: 'patched by the conformance test' } },
  ],
  removeRule: () => [{ query: { priority: '4242' } }],
};
const VERB_ORDER = Object.keys(VERBS);

function ingressRule(priority: number, action: string): Json {
  return {
    priority,
    action,
    direction: 'INGRESS',
    match: { srcIpRanges: ['192.0.2.0/24'], layer4Configs: [{ ipProtocol: 'tcp', ports: ['9'] }] },
  };
}

/** Insert bodies by collection, in the order they must be created (a policy names its channel). */
const INSERTS: Record<string, (project: string, created: Map<string, string>) => Json> = {
  firewalls: () => ({
    name: 'conformance-allow',
    sourceRanges: ['192.0.2.0/24'],
    allowed: [{ IPProtocol: 'tcp', ports: ['9'] }],
  }),
  healthChecks: () => ({
    name: 'conformance-hc',
    type: 'HTTP',
    httpHealthCheck: { port: 9, requestPath: '/' },
  }),
  notificationChannels: () => ({
    type: 'webhook_tokenauth',
    displayName: 'conformance',
    labels: { url: 'http://127.0.0.1:9/alerts' },
  }),
  alertPolicies: (_project, created) => ({
    displayName: 'conformance',
    combiner: 'OR',
    notificationChannels: [(created.get('notificationChannels') ?? '').replace(/^\/v3\//, '')],
    conditions: [
      {
        displayName: '5xx',
        conditionThreshold: {
          filter:
            'resource.type="https_lb_rule" AND metric.type="loadbalancing.googleapis.com/https/request_count"',
          comparison: 'COMPARISON_GT',
          thresholdValue: 1,
          duration: '60s',
        },
      },
    ],
  }),
};

/** Calls that need a query or body of their own, by the route's last segment. */
function specialCall(route: Route, path: string, project: string): Call[] | undefined {
  const last = route.segments[route.segments.length - 1];
  if (last === 'timeSeries') {
    const end = new Date();
    return ['request_count', 'backend_latencies'].map((metric) => ({
      method: 'GET',
      path,
      query: {
        filter: `metric.type="loadbalancing.googleapis.com/https/${metric}"`,
        'interval.startTime': new Date(end.getTime() - 15 * 60_000).toISOString(),
        'interval.endTime': end.toISOString(),
      },
    }));
  }
  if (last === 'entries:list') {
    return [{ method: 'POST', path, body: { resourceNames: [`projects/${project}`], pageSize: 200 } }];
  }
  return undefined;
}

export interface ExerciseReport {
  validated: number;
  mismatches: string[];
  failures: string[];
  unexercised: string[];
}

export class Exerciser {
  private readonly routes: Route[];
  private readonly covered = new Set<string>();
  private readonly mismatches: string[] = [];
  private readonly failures: string[] = [];
  private validated = 0;
  private scenario = '';
  private answers: Json[] = [];

  constructor(
    private readonly sim: Sim,
    served: readonly ServedRoute[],
    documents: readonly Discovery[],
  ) {
    this.routes = served.map((r) => ({
      ...r,
      segments: r.template.split('/').filter(Boolean),
      api: methodFor(documents, r.method, r.template),
    }));
  }

  /** Exercises every route for the project the scenario loaded. */
  async run(scenario: string, project: string): Promise<void> {
    this.scenario = scenario;
    this.answers = [];
    const locations = await this.locations(project);
    const bind = (route: Route): string[] => this.bind(route, project, locations);
    const operations: Json[] = [];
    const keep = async (answer: Json | undefined): Promise<void> => {
      if (answer?.['kind'] !== 'compute#operation') return;
      operations.push(answer);
      // The next change to the same resource must wait for this one (GCP: resourceNotReady).
      await this.waitDone(answer, project);
    };

    // 1. Inserts, in INSERTS order; what they create is deleted in step 4.
    const created = new Map<string, string>();
    for (const collection of Object.keys(INSERTS)) {
      const route = this.routes.find(
        (r) => r.method === 'POST' && r.segments.at(-1) === collection && this.free(r).length === 0,
      );
      for (const path of route ? bind(route) : []) {
        const answer = await this.call(route as Route, {
          method: 'POST',
          path,
          body: INSERTS[collection]?.(project, created),
        });
        await keep(answer);
        const id = answer?.['kind'] === 'compute#operation' ? answer['targetLink'] : answer?.['name'];
        if (answer) created.set(collection, `${path}/${lastSegment(String(id))}`);
      }
    }
    // 2. Collections and every other call whose parameters are only project, zone and region.
    const items = new Map<string, Json[]>(); // concrete collection path → the items listed there
    for (const route of this.routes.filter((r) => this.free(r).length === 0)) {
      for (const path of bind(route)) {
        const calls =
          specialCall(route, path, project) ?? (route.method === 'GET' ? [{ method: 'GET', path }] : []);
        for (const call of calls) {
          const answer = await this.call(route, call);
          const listed = answer && listedItems(answer);
          if (listed) items.set(path, listed);
        }
      }
    }
    // Resources no served list names (a URL map) are named by the references to them.
    for (const [collection, names] of referencedItems(this.answers)) {
      if (!items.has(collection))
        items.set(
          collection,
          [...names].map((name) => ({ name })),
        );
    }
    // 3. Items and their verbs, named by what step 2 listed.
    const itemRoutes = this.routes.filter((r) => this.free(r).length === 1 && r.method !== 'DELETE');
    for (const route of [...itemRoutes].sort((a, b) => verbRank(a) - verbRank(b))) {
      const nameAt = route.segments.indexOf(`:${this.free(route)[0] ?? ''}`);
      const verb = route.segments.slice(nameAt + 1);
      for (const [collection, listed] of items) {
        if (!matchesTemplate(route.segments.slice(0, nameAt), collection)) continue;
        for (const item of listed) {
          const name = lastSegment(String(item['name'] ?? ''));
          const path = `${collection}/${name}${verb.length > 0 ? `/${verb.join('/')}` : ''}`;
          for (const call of this.itemCalls(route, path, item, verb))
            await keep(await this.call(route, call));
        }
      }
    }
    // 4. Deletes of what step 1 inserted, newest first.
    for (const [collection, path] of [...created].reverse()) {
      const route = this.routes.find((r) => r.method === 'DELETE' && r.segments.at(-2) === collection);
      if (route !== undefined) await keep(await this.call(route, { method: 'DELETE', path }));
    }
    // 5. Every operation, read and waited for in its own scope.
    for (const op of operations) {
      const scope = operationScope(op, project);
      for (const route of this.routes.filter((r) => r.segments.includes('operations'))) {
        const path = `${scope}/operations/${String(op['name'])}${route.method === 'POST' ? '/wait' : ''}`;
        if (matchesTemplate(route.segments, path)) await this.call(route, { method: route.method, path });
      }
    }
  }

  report(): ExerciseReport {
    const unexercised = this.routes.filter((r) => !this.covered.has(key(r))).map(key);
    return { validated: this.validated, mismatches: this.mismatches, failures: this.failures, unexercised };
  }

  private itemCalls(route: Route, path: string, item: Json, verb: string[]): Call[] {
    if (verb.length === 0) {
      if (route.method === 'GET') return [{ method: 'GET', path }];
      if (route.method === 'PATCH') {
        if (route.service === 'monitoring')
          return [{ method: 'PATCH', path, body: { displayName: item['displayName'] } }];
        return [
          { method: 'PATCH', path, body: item['fingerprint'] ? { fingerprint: item['fingerprint'] } : {} },
        ];
      }
      return [];
    }
    const make = VERBS[verb.join('/')];
    if (make === undefined) {
      this.failures.push(
        `${this.scenario}: ${key(route)} has no exercise: add its verb to VERBS in exerciser.ts`,
      );
      return [];
    }
    return make(item).map((c) => ({ method: route.method, path, ...c }));
  }

  private async call(route: Route, call: Call): Promise<Json | undefined> {
    const query = call.query ? `?${new URLSearchParams(call.query).toString()}` : '';
    const { status, json } = await this.sim.call(call.method, `${call.path}${query}`, call.body);
    const where = `${this.scenario}: ${call.method} ${call.path}${query}`;
    if (status !== 200) {
      this.failures.push(`${where} → ${status} ${JSON.stringify(json).slice(0, 300)}`);
      return undefined;
    }
    this.answers.push(json);
    if (route.api === undefined) return json;
    const doc = route.api.document;
    const schema =
      route.api.response === undefined ? { type: 'object', properties: {} } : doc.schema(route.api.response);
    for (const m of validate(doc, schema, json)) {
      this.mismatches.push(`${where} (${route.api.id}): ${m.kind} at ${m.path}: ${m.detail}`);
    }
    this.validated += 1;
    this.covered.add(key(route));
    return json;
  }

  private async waitDone(op: Json, project: string): Promise<void> {
    const path = `${operationScope(op, project)}/operations/${String(op['name'])}/wait`;
    for (let i = 0; i < 20; i++) {
      const { json } = await this.sim.call('POST', path);
      if (json['status'] === 'DONE') return;
    }
    this.failures.push(`${this.scenario}: operation ${String(op['name'])} never finished`);
  }

  /** The template's parameters other than project, zone and region. */
  private free(route: Route): string[] {
    return route.segments
      .filter((s) => s.startsWith(':'))
      .map((s) => s.slice(1))
      .filter((p) => p !== 'project' && p !== 'zone' && p !== 'region');
  }

  /** Every concrete path for a template's project, zone and region (other parameters kept as `:x`). */
  private bind(route: Route, project: string, locations: { zones: string[]; regions: string[] }): string[] {
    let paths = [''];
    for (const segment of route.segments) {
      const values =
        segment === ':project'
          ? [project]
          : segment === ':zone'
            ? locations.zones
            : segment === ':region'
              ? locations.regions
              : [segment];
      paths = paths.flatMap((p) => values.map((v) => `${p}/${v}`));
    }
    return paths;
  }

  /** Every zone and region the project's state names. */
  private async locations(project: string): Promise<{ zones: string[]; regions: string[] }> {
    const state = JSON.stringify((await this.sim.call('GET', '/_sim/state')).json['projects']);
    const zones = new Set<string>();
    const regions = new Set<string>();
    for (const m of state.matchAll(/"(?:zone|region)":"([a-z]+-[a-z]+\d+(-[a-z])?)"/g)) {
      (m[2] ? zones : regions).add(m[1] ?? '');
    }
    for (const m of state.matchAll(/\/(zones|regions)\/([a-z]+-[a-z]+\d+(?:-[a-z])?)\//g)) {
      (m[1] === 'zones' ? zones : regions).add(m[2] ?? '');
    }
    if (!state.includes(`"${project}"`))
      this.failures.push(`${this.scenario}: project ${project} not in state`);
    return { zones: [...zones].sort(), regions: [...regions].sort() };
  }
}

function key(route: ServedRoute): string {
  return `${route.method} ${route.template}`;
}

/** Reads before verbs that change something, and verbs in VERBS order (addRule before removeRule). */
function verbRank(route: Route): number {
  const last = route.segments.at(-1) ?? '';
  if (route.method === 'GET' && !VERBS[last]) return -1;
  const index = VERB_ORDER.indexOf(last);
  return index === -1 ? VERB_ORDER.length : index;
}

/** `/compute/v1/projects/P/<scope>/<collection>` → the names of every resource the answers link to. */
function referencedItems(answers: readonly Json[]): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>();
  const link =
    /^https:\/\/www\.googleapis\.com(\/compute\/v1\/projects\/[^/]+\/(?:global|(?:zones|regions)\/[^/]+)\/[A-Za-z]+)\/([^/]+)$/;
  const walk = (value: unknown): void => {
    if (typeof value === 'string') {
      const m = link.exec(value);
      // Operations are read in their own step, once they are known to exist.
      if (m?.[1] && m[2] && !m[1].endsWith('/operations'))
        found.set(m[1], (found.get(m[1]) ?? new Set()).add(m[2]));
    } else if (Array.isArray(value)) value.forEach(walk);
    else if (isRecord(value)) Object.values(value).forEach(walk);
  };
  answers.forEach(walk);
  return found;
}

/** The items of a list answer: `items` (Compute) or the first array of named objects (Monitoring). */
function listedItems(answer: Json): Json[] | undefined {
  if (Array.isArray(answer['items'])) return answer['items'] as Json[];
  for (const value of Object.values(answer)) {
    if (Array.isArray(value) && value.every((v) => isRecord(v) && typeof v['name'] === 'string')) {
      return value as Json[];
    }
  }
  return undefined;
}

function matchesTemplate(template: string[], path: string): boolean {
  const segments = path.split('/').filter(Boolean);
  return (
    segments.length === template.length && template.every((t, i) => t.startsWith(':') || t === segments[i])
  );
}

/** `/compute/v1/projects/P/global`, `…/zones/Z` or `…/regions/R` of an operation. */
function operationScope(op: Json, project: string): string {
  const base = `/compute/v1/projects/${project}`;
  if (typeof op['zone'] === 'string') return `${base}/zones/${lastSegment(op['zone'])}`;
  if (typeof op['region'] === 'string') return `${base}/regions/${lastSegment(op['region'])}`;
  return `${base}/global`;
}
