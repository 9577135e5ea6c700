/**
 * Scenario files: a small, user-writable YAML description of one project's load balancer, parsed with
 * `yaml` and validated with zod. Defaults follow gcp-facts (health check 5 s/5 s, 2/2, port 80, path /;
 * firewall priority 1000, INGRESS; backend service timeoutSec 30, HTTP, EXTERNAL_MANAGED). Errors name
 * the file, the line and the path in the document. The format is described in scenarios/README.md.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, isNode, parseDocument } from 'yaml';
import { z } from 'zod';
import { isCidr, parseCidr, parseIPv4 } from './ip';
import { checkNetworking, networkingFields } from './scenario-firewall-policies';

const SCENARIO_DIR = fileURLToPath(new URL('./scenarios/', import.meta.url));

/** GCP resource names: lowercase letter first, then letters, digits and dashes, at most 63. */
const Name = z
  .string()
  .regex(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a GCP resource name (a-z, 0-9, -)');
const Port = z.number().int().min(1).max(65535);
const Zone = z.string().regex(/^[a-z]+-[a-z]+\d+-[a-z]$/, 'must be a zone such as us-central1-a');
const Region = z.string().regex(/^[a-z]+-[a-z]+\d+$/, 'must be a region such as us-central1');
const IPv4 = z
  .string()
  .refine((text) => parseIPv4(text) !== undefined, 'must be an IPv4 address such as 10.128.0.2');
/** Firewall ranges: IPv4 or IPv6, as GCP accepts them. */
const Cidr = z.string().refine(isCidr, 'must be a CIDR range such as 35.191.0.0/16 or 2600:2d00:1:b029::/64');
/** A subnetwork's primary range is IPv4. */
const IPv4Cidr = z
  .string()
  .refine((text) => parseCidr(text) !== undefined, 'must be an IPv4 CIDR such as 10.129.0.0/23');
const PortSpec = z.union([
  Port.transform(String),
  z.string().regex(/^\d{1,5}(-\d{1,5})?$/, 'must be "80" or "8000-9000"'),
]);

const HealthCheckSpec = z.strictObject({
  name: Name,
  description: z.string().optional(),
  /** A regional health check (for regional backend services); global when omitted. */
  region: Region.optional(),
  type: z.enum(['TCP', 'SSL', 'HTTP', 'HTTPS', 'HTTP2', 'GRPC']).default('HTTP'),
  /** Default 80 (HTTP, TCP) or 443 (HTTPS, HTTP2, SSL) when the port is fixed. */
  port: Port.optional(),
  portName: z.string().optional(),
  portSpecification: z.enum(['USE_FIXED_PORT', 'USE_NAMED_PORT', 'USE_SERVING_PORT']).optional(),
  requestPath: z.string().startsWith('/').default('/'),
  host: z.string().optional(),
  response: z.string().max(1024).optional(),
  proxyHeader: z.enum(['NONE', 'PROXY_V1']).optional(),
  checkIntervalSec: z.number().int().min(1).max(300).default(5),
  timeoutSec: z.number().int().min(1).max(300).default(5),
  healthyThreshold: z.number().int().min(1).max(10).default(2),
  unhealthyThreshold: z.number().int().min(1).max(10).default(2),
});

const Permission = z.strictObject({
  IPProtocol: z.string().min(1),
  ports: z.array(PortSpec).optional(),
});

const FirewallSpec = z.strictObject({
  name: Name,
  description: z.string().optional(),
  /** Network name; the scenario's network when omitted. */
  network: Name.optional(),
  direction: z.enum(['INGRESS', 'EGRESS']).default('INGRESS'),
  priority: z.number().int().min(0).max(65535).default(1000),
  sourceRanges: z.array(Cidr).optional(),
  destinationRanges: z.array(Cidr).optional(),
  sourceTags: z.array(z.string()).optional(),
  sourceServiceAccounts: z.array(z.string()).optional(),
  targetTags: z.array(z.string()).optional(),
  targetServiceAccounts: z.array(z.string()).optional(),
  allowed: z.array(Permission).optional(),
  denied: z.array(Permission).optional(),
  disabled: z.boolean().default(false),
});

const AppSpecSchema = z.strictObject({
  port: Port,
  /** HTTP (the default), HTTPS (TLS, HTTP/1.1) or HTTP2 (TLS, h2 and HTTP/1.1). */
  protocol: z.enum(['HTTP', 'HTTPS', 'HTTP2']).optional(),
  paths: z.array(z.string().startsWith('/')).default(['/']),
  status: z.number().int().min(100).max(599).default(200),
  latencyMs: z.number().min(0).default(20),
  /** Extra latency per path in ms, e.g. `{ /api/report: 45000 }`. */
  slowPaths: z.record(z.string().startsWith('/'), z.number().min(0)).optional(),
  keepaliveSec: z.number().int().min(1).default(620),
  running: z.boolean().default(true),
  body: z.string().optional(),
});

const InstanceSpec = z.strictObject({
  name: Name,
  /** For a regional group: the instance's zone in the region (spread over -a, -b, -c when omitted). */
  zone: Zone.optional(),
  tags: z.array(z.string()).default([]),
  serviceAccounts: z.array(z.string()).default([]),
  status: z.enum(['RUNNING', 'TERMINATED']).default('RUNNING'),
  app: AppSpecSchema,
});

const InstanceGroupSpec = z.strictObject({
  name: Name,
  /** A zonal group; or `region` for a regional (managed) group. Exactly one of the two. */
  zone: Zone.optional(),
  region: Region.optional(),
  /** true: an instance group manager of the same name owns the group. */
  managed: z.boolean().default(false),
  network: Name.optional(),
  namedPorts: z.array(z.strictObject({ name: z.string().min(1), port: Port })).default([]),
  instances: z.array(InstanceSpec).default([]),
});

const NegSpec = z.strictObject({
  name: Name,
  networkEndpointType: z.enum([
    'SERVERLESS',
    'GCE_VM_IP_PORT',
    'NON_GCP_PRIVATE_IP_PORT',
    'INTERNET_FQDN_PORT',
    'INTERNET_IP_PORT',
  ]),
  /** Serverless NEGs are regional; internet NEGs global (no zone or region) or regional. */
  region: Region.optional(),
  /** GCE_VM_IP_PORT and hybrid (NON_GCP_PRIVATE_IP_PORT) NEGs are zonal. */
  zone: Zone.optional(),
  network: Name.optional(),
  defaultPort: Port.optional(),
  cloudRun: z
    .strictObject({ service: z.string().min(1), tag: z.string().optional(), urlMask: z.string().optional() })
    .optional(),
  endpoints: z.array(z.strictObject({ instance: Name, port: Port })).default([]),
  /** Hybrid and internet NEG endpoints: an address (or, for INTERNET_FQDN_PORT, a name) and a port. */
  externalEndpoints: z
    .array(z.strictObject({ ipAddress: IPv4.optional(), fqdn: z.string().min(1).optional(), port: Port }))
    .default([]),
  /** How a hybrid or internet NEG's endpoints behave (they are never really connected to). */
  remote: z
    .strictObject({
      reachable: z.boolean().default(true),
      status: z.number().int().min(100).max(599).default(200),
      latencyMs: z.number().min(0).default(40),
    })
    .optional(),
});

const BackendSpec = z.strictObject({
  instanceGroup: Name.optional(),
  neg: Name.optional(),
  balancingMode: z.enum(['UTILIZATION', 'RATE', 'CONNECTION']).default('UTILIZATION'),
  capacityScaler: z.number().min(0).max(1).default(1),
});

const TrafficSpecSchema = z.strictObject({
  /** Requests per simulated second; 0 turns traffic off. */
  requestsPerSecond: z.number().min(0).max(1000).default(5),
  paths: z
    .array(z.strictObject({ path: z.string().startsWith('/'), weight: z.number().positive().default(1) }))
    .min(1)
    .default([{ path: '/', weight: 1 }]),
});

const BackendServiceSpec = z.strictObject({
  name: Name,
  description: z.string().optional(),
  /** A regional backend service (regional external or internal Application Load Balancer). */
  region: Region.optional(),
  protocol: z.enum(['HTTP', 'HTTPS', 'HTTP2']).default('HTTP'),
  portName: z.string().min(1).default('http'),
  port: Port.default(80),
  timeoutSec: z.number().int().min(1).default(30),
  /** EXTERNAL (classic), EXTERNAL_MANAGED (global or regional external), INTERNAL_MANAGED (internal, regional). */
  loadBalancingScheme: z
    .enum(['EXTERNAL', 'EXTERNAL_MANAGED', 'INTERNAL_MANAGED'])
    .default('EXTERNAL_MANAGED'),
  healthChecks: z.array(Name).max(1).default([]),
  backends: z.array(BackendSpec).default([]),
  // GCP's default is logging off; the simulator turns it on because lbmedic reads the request logs.
  logConfig: z
    .strictObject({ enable: z.boolean().default(true), sampleRate: z.number().min(0).max(1).default(1) })
    .default({ enable: true, sampleRate: 1 }),
  /** Names of the frontend resources; `<bs>-fr`, `<bs>-proxy`, `<bs>-map` by default. */
  frontend: z
    .strictObject({ forwardingRule: Name.optional(), targetProxy: Name.optional(), urlMap: Name.optional() })
    .optional(),
  traffic: TrafficSpecSchema.default({ requestsPerSecond: 5, paths: [{ path: '/', weight: 1 }] }),
});

const ScenarioShape = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  project: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'must be a project id (6-30 of a-z, 0-9, -)'),
  /** Derived from the project id when omitted. */
  projectNumber: z
    .string()
    .regex(/^\d{6,19}$/)
    .optional(),
  network: Name.default('default'),
  /** Cloud Run services that exist (serverless NEGs that name another service have nothing to route to). */
  cloudRunServices: z.array(z.strictObject({ name: z.string().min(1), region: z.string() })).default([]),
  /** Subnetworks; regional load balancers need a proxy-only one (REGIONAL_MANAGED_PROXY) in their region. */
  subnetworks: z
    .array(
      z.strictObject({
        name: Name,
        region: Region,
        network: Name.optional(),
        ipCidrRange: IPv4Cidr,
        purpose: z.enum(['PRIVATE', 'REGIONAL_MANAGED_PROXY', 'GLOBAL_MANAGED_PROXY']).default('PRIVATE'),
        role: z.enum(['ACTIVE', 'BACKUP']).optional(),
      }),
    )
    .default([]),
  /** lbmedic's worker in the VPC: where its in-VPC probe comes from (the firewall applies to it). */
  worker: z
    .strictObject({
      ipAddress: IPv4.default('10.128.0.2'),
      network: Name.optional(),
      tags: z.array(z.string()).default([]),
      serviceAccounts: z.array(z.string()).default([]),
    })
    .default({ ipAddress: '10.128.0.2', tags: [], serviceAccounts: [] }),
  healthChecks: z.array(HealthCheckSpec).default([]),
  firewalls: z.array(FirewallSpec).default([]),
  instanceGroups: z.array(InstanceGroupSpec).default([]),
  networkEndpointGroups: z.array(NegSpec).default([]),
  backendServices: z.array(BackendServiceSpec).default([]),
  ...networkingFields,
});

/** A scenario file: one project's network, health checks, firewall, instance groups, NEGs and LBs. */
export const Scenario = ScenarioShape.superRefine(checkReferences);

export type Scenario = z.infer<typeof Scenario>;

type Ctx = z.RefinementCtx;
type Path = (string | number)[];

function unique(ctx: Ctx, items: { name: string }[], path: Path, what: string): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (seen.has(item.name))
      ctx.addIssue({
        code: 'custom',
        path: [...path, i, 'name'],
        message: `duplicate ${what} "${item.name}"`,
      });
    seen.add(item.name);
  });
}

/** Cross-references and the rules GCP enforces on insert. */
function checkReferences(s: z.output<typeof ScenarioShape>, ctx: Ctx): void {
  const issue = (path: Path, message: string) => ctx.addIssue({ code: 'custom', path, message });
  unique(ctx, s.healthChecks, ['healthChecks'], 'health check');
  unique(ctx, s.firewalls, ['firewalls'], 'firewall rule');
  unique(ctx, s.instanceGroups, ['instanceGroups'], 'instance group');
  unique(ctx, s.networkEndpointGroups, ['networkEndpointGroups'], 'network endpoint group');
  unique(ctx, s.backendServices, ['backendServices'], 'backend service');
  unique(ctx, s.subnetworks, ['subnetworks'], 'subnetwork');

  const instances = new Set<string>();
  s.instanceGroups.forEach((group, g) =>
    group.instances.forEach((instance, i) => {
      // Health is recorded per backend service and instance name, so names are unique per project.
      if (instances.has(instance.name))
        issue(['instanceGroups', g, 'instances', i, 'name'], `duplicate instance "${instance.name}"`);
      instances.add(instance.name);
    }),
  );

  s.healthChecks.forEach((hc, i) => {
    if (hc.timeoutSec > hc.checkIntervalSec)
      issue(['healthChecks', i, 'timeoutSec'], 'timeoutSec must not be greater than checkIntervalSec');
    if (hc.portSpecification === 'USE_SERVING_PORT' && hc.port !== undefined)
      issue(['healthChecks', i, 'port'], 'port must not be set with portSpecification USE_SERVING_PORT');
    if (hc.portSpecification === 'USE_NAMED_PORT' && hc.portName === undefined)
      issue(['healthChecks', i, 'portName'], 'portName is required with portSpecification USE_NAMED_PORT');
  });

  s.firewalls.forEach((fw, i) => {
    const allows = (fw.allowed ?? []).length > 0;
    const denies = (fw.denied ?? []).length > 0;
    if (allows === denies)
      issue(['firewalls', i], 'a firewall rule needs either allowed or denied entries (not both)');
    const ranges = [...(fw.sourceRanges ?? []), ...(fw.destinationRanges ?? [])];
    if (ranges.some((r) => r.includes(':')) && !ranges.every((r) => r.includes(':')))
      issue(['firewalls', i], 'a firewall rule holds IPv4 or IPv6 ranges, not both');
    const byTag = (fw.targetTags ?? []).length > 0 || (fw.sourceTags ?? []).length > 0;
    const bySa = (fw.targetServiceAccounts ?? []).length > 0 || (fw.sourceServiceAccounts ?? []).length > 0;
    if (byTag && bySa) issue(['firewalls', i], 'tags and service accounts cannot be mixed in one rule');
  });

  checkInstanceGroups(s, issue);
  checkNegs(s, instances, issue);
  checkNetworking(s, issue);
  checkBackendServices(s, issue);
}

type Issue = (path: Path, message: string) => void;

/** Exactly one of zone or region; a regional group's instances live in zones of its region. */
function checkInstanceGroups(s: z.output<typeof ScenarioShape>, issue: Issue): void {
  s.instanceGroups.forEach((group, g) => {
    if (group.zone === undefined && group.region === undefined)
      issue(
        ['instanceGroups', g, 'zone'],
        'an instance group needs a zone (or a region, for a regional group)',
      );
    if (group.zone !== undefined && group.region !== undefined)
      issue(['instanceGroups', g, 'region'], 'an instance group has a zone or a region, not both');
    group.instances.forEach((instance, i) => {
      if (instance.zone === undefined) return;
      const inGroup =
        group.zone !== undefined
          ? instance.zone === group.zone
          : instance.zone.startsWith(`${group.region}-`);
      if (!inGroup)
        issue(
          ['instanceGroups', g, 'instances', i, 'zone'],
          `zone ${instance.zone} is not ${group.zone === undefined ? `in region ${group.region}` : `the group's zone ${group.zone}`}`,
        );
    });
  });
}

function checkNegs(s: z.output<typeof ScenarioShape>, instances: Set<string>, issue: Issue): void {
  s.networkEndpointGroups.forEach((neg, i) => {
    const path = ['networkEndpointGroups', i];
    const type = neg.networkEndpointType;
    if (type === 'SERVERLESS') {
      if (neg.region === undefined) issue([...path, 'region'], 'a serverless NEG needs a region');
      if (neg.cloudRun === undefined) issue([...path, 'cloudRun'], 'a serverless NEG needs cloudRun.service');
      if (neg.defaultPort !== undefined)
        issue([...path, 'defaultPort'], 'serverless NEGs have no defaultPort');
    } else if (type === 'GCE_VM_IP_PORT') {
      if (neg.zone === undefined) issue([...path, 'zone'], 'a GCE_VM_IP_PORT NEG needs a zone');
      neg.endpoints.forEach((endpoint, e) => {
        if (!instances.has(endpoint.instance))
          issue([...path, 'endpoints', e, 'instance'], `no instance named "${endpoint.instance}"`);
      });
    } else {
      // Hybrid NEGs are zonal; internet NEGs global or regional (gcp-facts §6).
      if (type === 'NON_GCP_PRIVATE_IP_PORT' && neg.zone === undefined)
        issue([...path, 'zone'], 'a NON_GCP_PRIVATE_IP_PORT NEG needs a zone');
      if (type !== 'NON_GCP_PRIVATE_IP_PORT' && neg.zone !== undefined)
        issue([...path, 'zone'], 'internet NEGs are global or regional, not zonal');
      if (neg.endpoints.length > 0) issue([...path, 'endpoints'], `${type} NEGs take externalEndpoints`);
      neg.externalEndpoints.forEach((endpoint, e) => {
        const wantsName = type === 'INTERNET_FQDN_PORT';
        if (wantsName ? endpoint.fqdn === undefined : endpoint.ipAddress === undefined)
          issue(
            [...path, 'externalEndpoints', e],
            `a ${type} endpoint needs ${wantsName ? 'fqdn' : 'ipAddress'}`,
          );
      });
    }
  });
}

/** The zone or region a backend lives in, for checking it against a regional backend service. */
function regionOfZone(zone: string): string {
  return zone.slice(0, zone.lastIndexOf('-'));
}

function checkBackendServices(s: z.output<typeof ScenarioShape>, issue: Issue): void {
  const healthChecks = new Map(s.healthChecks.map((hc) => [hc.name, hc]));
  const groups = new Map(s.instanceGroups.map((ig) => [ig.name, ig]));
  const negs = new Map(s.networkEndpointGroups.map((neg) => [neg.name, neg]));
  s.backendServices.forEach((bs, b) => {
    const at = (...rest: Path): Path => ['backendServices', b, ...rest];
    bs.healthChecks.forEach((name, h) => {
      const hc = healthChecks.get(name);
      if (hc === undefined) issue(at('healthChecks', h), `no health check named "${name}"`);
      else if (hc.region !== bs.region)
        issue(
          at('healthChecks', h),
          bs.region === undefined
            ? `a global backend service needs a global health check; "${name}" is in ${hc.region}`
            : `a backend service in ${bs.region} needs a health check in ${bs.region}`,
        );
    });
    if (bs.region === undefined && bs.loadBalancingScheme === 'INTERNAL_MANAGED')
      issue(at('loadBalancingScheme'), 'INTERNAL_MANAGED backend services are regional here: give a region');
    if (bs.region !== undefined && bs.loadBalancingScheme === 'EXTERNAL')
      issue(at('loadBalancingScheme'), 'EXTERNAL (classic) backend services are global');
    if (
      bs.region !== undefined &&
      !s.subnetworks.some(
        (sn) => sn.purpose === 'REGIONAL_MANAGED_PROXY' && sn.region === bs.region && sn.role !== 'BACKUP',
      )
    )
      issue(
        at('region'),
        `a regional load balancer needs an active proxy-only subnet (purpose REGIONAL_MANAGED_PROXY) in ${bs.region}`,
      );
    let needsHealthCheck = false;
    let forbidsHealthCheck = false;
    bs.backends.forEach((backend, i) => {
      const path = at('backends', i);
      if ((backend.instanceGroup === undefined) === (backend.neg === undefined)) {
        issue(path, 'a backend names exactly one of instanceGroup or neg');
        return;
      }
      let location: string | undefined;
      if (backend.instanceGroup !== undefined) {
        needsHealthCheck = true;
        const group = groups.get(backend.instanceGroup);
        if (group === undefined)
          issue([...path, 'instanceGroup'], `no instance group named "${backend.instanceGroup}"`);
        location = group?.region ?? (group?.zone === undefined ? undefined : regionOfZone(group.zone));
      } else if (backend.neg !== undefined) {
        const neg = negs.get(backend.neg);
        if (neg === undefined) {
          issue([...path, 'neg'], `no network endpoint group named "${backend.neg}"`);
          return;
        }
        const type = neg.networkEndpointType;
        // gcp-facts §4: health checks are required for instance-group and zonal-NEG backends and must
        // be empty for serverless and internet NEGs.
        if (type === 'GCE_VM_IP_PORT' || type === 'NON_GCP_PRIVATE_IP_PORT') needsHealthCheck = true;
        else forbidsHealthCheck = true;
        location = neg.region ?? (neg.zone === undefined ? undefined : regionOfZone(neg.zone));
      }
      if (bs.region !== undefined && location !== bs.region)
        issue(path, `a backend of a regional backend service must be in ${bs.region}`);
    });
    if (needsHealthCheck && bs.healthChecks.length === 0)
      issue(at('healthChecks'), 'instance-group, GCE_VM_IP_PORT and hybrid NEG backends need a health check');
    if (forbidsHealthCheck && bs.healthChecks.length > 0)
      issue(
        at('healthChecks'),
        'a backend service with a serverless NEG (or an internet NEG) cannot have health checks',
      );
  });
}

/** One problem in a scenario file, located by its path in the document (and line, when known). */
export interface ScenarioIssue {
  path: string;
  line?: number;
  column?: number;
  message: string;
}

export class ScenarioError extends Error {
  constructor(
    readonly source: string,
    readonly issues: ScenarioIssue[],
  ) {
    super(
      `invalid scenario ${source}:\n` +
        issues
          .map(
            (i) =>
              `  ${source}${i.line === undefined ? '' : `:${i.line}:${i.column ?? 1}`} ${i.path || '(document)'}: ${i.message}`,
          )
          .join('\n'),
    );
    this.name = 'ScenarioError';
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, key) =>
      typeof key === 'number' ? `${text}[${key}]` : text === '' ? String(key) : `${text}.${String(key)}`,
    '',
  );
}

/** Parses and validates scenario text; `sourceName` (a file name) appears in every error. */
export function parseScenario(text: string, sourceName: string): Scenario {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ScenarioError(
      sourceName,
      doc.errors.map((error) => {
        const pos = lineCounter.linePos(error.pos[0]);
        return {
          path: '',
          line: pos.line,
          column: pos.col,
          message: error.message.split('\n')[0] ?? error.message,
        };
      }),
    );
  }
  const result = Scenario.safeParse(doc.toJS());
  if (result.success) return result.data;
  throw new ScenarioError(
    sourceName,
    result.error.issues.map((issue) => {
      const keys = issue.path.filter((key): key is string | number => typeof key !== 'symbol');
      // The deepest node that exists (an unknown key's parent, a missing field's object) gives the line.
      let node: unknown;
      for (let depth = keys.length; depth >= 0 && !isNode(node); depth--)
        node = doc.getIn(keys.slice(0, depth), true);
      const offset = isNode(node) ? node.range?.[0] : undefined;
      const pos = offset === undefined ? undefined : lineCounter.linePos(offset);
      return {
        path: formatPath(issue.path),
        message: issue.message,
        ...(pos ? { line: pos.line, column: pos.col } : {}),
      };
    }),
  );
}

export function loadScenarioFile(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ScenarioError(path, [
      { path: '', message: `cannot read the file: ${(error as Error).message}` },
    ]);
  }
  return parseScenario(text, path);
}

/** The shipped scenarios (`simulator/scenarios/*.yaml`), by name. */
export function scenarioNames(): string[] {
  return readdirSync(SCENARIO_DIR)
    .filter((file) => file.endsWith('.yaml'))
    .map((file) => file.slice(0, -'.yaml'.length))
    .sort();
}

export function scenarioPath(name: string): string {
  return join(SCENARIO_DIR, `${name}.yaml`);
}

/** A shipped scenario's name or the path of a scenario file. */
export function loadScenario(nameOrPath: string): Scenario {
  if (!existsSync(nameOrPath) && scenarioNames().includes(nameOrPath))
    return loadScenarioFile(scenarioPath(nameOrPath));
  return loadScenarioFile(nameOrPath);
}
