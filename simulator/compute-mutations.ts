/**
 * Validation of Compute mutations, done synchronously when the request arrives (400 invalid, 404
 * notFound, 409 alreadyExists, 412 conditionNotMet), producing the change that the operation applies
 * at DONE. Patches follow JSON merge semantics for the fields given: nested objects merge, arrays
 * replace, `null` clears an optional field. Output-only and unknown fields are ignored.
 */
import type { ApiError } from './errors';
import { invalid, notFound } from './errors';
import { HEALTH_CHECK_DETAIL_KEY } from './compute-wire';
import type {
  Backend,
  BackendService,
  Firewall,
  FirewallPermission,
  HealthCheck,
  HealthCheckDetails,
  HealthCheckType,
  NamedPort,
  Project,
} from './model';
import { isCidr, isIPv6Cidr } from './ip';
import { isRecord } from './router';
import { networkLink, parseResourceUrl, selfLink } from './urls';

const NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function fieldError(field: string, value: unknown, why: string): ApiError {
  const shown = typeof value === 'string' ? value : JSON.stringify(value);
  return invalid(`Invalid value for field 'resource.${field}': '${shown}'. ${why}`);
}

export function int(field: string, value: unknown, min: number, max: number): number {
  // int32 fields arrive as numbers; int64 ones may arrive as strings.
  const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw fieldError(field, value, `Must be an integer between ${min} and ${max}.`);
  }
  return n;
}

function num(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw fieldError(field, value, `Must be a number between ${min} and ${max}.`);
  }
  return value;
}

export function str(field: string, value: unknown): string {
  if (typeof value !== 'string') throw fieldError(field, value, 'Must be a string.');
  return value;
}

export function bool(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw fieldError(field, value, 'Must be a boolean.');
  return value;
}

export function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw fieldError(field, value, `Must be one of ${allowed.join(', ')}.`);
  }
  return value as T;
}

export function strings(field: string, value: unknown, check?: (s: string) => boolean, why = ''): string[] {
  if (!Array.isArray(value)) throw fieldError(field, value, 'Must be a list.');
  return value.map((item, i) => {
    const s = str(`${field}[${i}]`, item);
    if (check && !check(s)) throw fieldError(`${field}[${i}]`, s, why);
    return s;
  });
}

function resourceName(field: string, value: unknown): string {
  const s = str(field, value);
  if (!NAME.test(s)) {
    throw fieldError(field, s, 'Must be a match of regex (?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)');
  }
  return s;
}

/** A body's `name` may repeat the resource's name but not rename it. */
function checkSameName(body: Record<string, unknown>, name: string): void {
  if (body['name'] !== undefined && body['name'] !== name) {
    throw fieldError('name', body['name'], `Cannot change the name of '${name}'.`);
  }
}

const has = (body: Record<string, unknown>, key: string): boolean => body[key] !== undefined;

// ---------------------------------------------------------------------------------- backend services

const PROTOCOLS = ['HTTP', 'HTTPS', 'HTTP2', 'H2C', 'TCP', 'SSL', 'UDP', 'GRPC', 'UNSPECIFIED'] as const;
const BALANCING_MODES = ['UTILIZATION', 'RATE', 'CONNECTION', 'IN_FLIGHT', 'CUSTOM_METRICS'] as const;

function parseBackends(project: Project, value: unknown): Backend[] {
  if (!Array.isArray(value)) throw fieldError('backends', value, 'Must be a list.');
  const backends = value.map((raw, i): Backend => {
    const field = `backends[${i}]`;
    if (!isRecord(raw)) throw fieldError(field, raw, 'Must be an object.');
    const group = str(`${field}.group`, raw['group']);
    // gcp-facts §4: backends[].group must be a full URL; partial URLs are rejected.
    const ref = group.startsWith('https://') ? parseResourceUrl(group) : undefined;
    if (!ref || (ref.kind !== 'instanceGroups' && ref.kind !== 'networkEndpointGroups')) {
      throw fieldError(
        `${field}.group`,
        group,
        'Must be the full URL of an instance group or network endpoint group.',
      );
    }
    const location = ref.zone ?? ref.region;
    const exists =
      ref.kind === 'instanceGroups'
        ? (() => {
            const ig = project.instanceGroups.get(ref.name);
            return ig !== undefined && ig.zone === ref.zone && ig.region === ref.region;
          })()
        : (() => {
            const neg = project.networkEndpointGroups.get(ref.name);
            return neg !== undefined && (neg.zone ?? neg.region) === location;
          })();
    if (!exists || (ref.project !== undefined && ref.project !== project.projectId)) {
      throw notFound(
        `projects/${ref.project ?? project.projectId}/${ref.zone ? `zones/${ref.zone}` : `regions/${ref.region ?? ''}`}/${ref.kind}/${ref.name}`,
      );
    }
    return {
      group: selfLink(project.projectId, ref.kind, ref.name, location),
      balancingMode:
        raw['balancingMode'] === undefined
          ? 'UTILIZATION'
          : oneOf(`${field}.balancingMode`, raw['balancingMode'], BALANCING_MODES),
      capacityScaler:
        raw['capacityScaler'] === undefined ? 1 : num(`${field}.capacityScaler`, raw['capacityScaler'], 0, 1),
    };
  });
  for (const [i, b] of backends.entries()) {
    if (b.capacityScaler !== 0 && b.capacityScaler < 0.1) {
      throw fieldError(`backends[${i}].capacityScaler`, b.capacityScaler, 'Must be 0 or between 0.1 and 1.');
    }
  }
  if (backends.length === 1 && backends[0]?.capacityScaler === 0) {
    throw fieldError(
      'backends[0].capacityScaler',
      0,
      'A backend service with one backend cannot have capacityScaler 0.',
    );
  }
  const groups = new Set(backends.map((b) => b.group));
  if (groups.size !== backends.length)
    throw invalid("Invalid value for field 'resource.backends': duplicate groups.");
  return backends;
}

/** Health check references: global ones for a global backend service, ones in its region for a regional one. */
function parseHealthCheckRefs(project: Project, value: unknown, region: string | undefined): string[] {
  const refs = strings('healthChecks', value);
  if (refs.length > 1) throw fieldError('healthChecks', refs, 'At most one health check is allowed.');
  return refs.map((ref, i) => {
    const parsed = parseResourceUrl(ref);
    if (!parsed || parsed.kind !== 'healthChecks' || parsed.zone || parsed.region !== region) {
      throw fieldError(
        `healthChecks[${i}]`,
        ref,
        region === undefined
          ? 'Must be the URL of a global health check.'
          : `Must be the URL of a health check in region ${region}.`,
      );
    }
    const scope = region === undefined ? 'global' : `regions/${region}`;
    const hc = project.healthChecks.get(parsed.name);
    if (!hc || hc.region !== region || (parsed.project && parsed.project !== project.projectId)) {
      throw notFound(`projects/${parsed.project ?? project.projectId}/${scope}/healthChecks/${parsed.name}`);
    }
    return selfLink(project.projectId, 'healthChecks', parsed.name, region);
  });
}

/** What a backend service patch changes; throws on an invalid request. */
export function backendServicePatch(
  project: Project,
  bs: BackendService,
  body: Record<string, unknown>,
): Partial<BackendService> {
  checkSameName(body, bs.name);
  const change: Partial<BackendService> = {};
  if (has(body, 'description')) change.description = str('description', body['description']);
  if (body['description'] === null) change.description = '';
  if (has(body, 'timeoutSec')) change.timeoutSec = int('timeoutSec', body['timeoutSec'], 1, 2_147_483_647);
  if (has(body, 'port')) change.port = int('port', body['port'], 1, 65535);
  if (has(body, 'portName')) change.portName = resourceName('portName', body['portName']);
  if (has(body, 'protocol')) change.protocol = oneOf('protocol', body['protocol'], PROTOCOLS);
  if (has(body, 'loadBalancingScheme') && body['loadBalancingScheme'] !== bs.loadBalancingScheme) {
    throw fieldError(
      'loadBalancingScheme',
      body['loadBalancingScheme'],
      'The load balancing scheme cannot be changed.',
    );
  }
  if (has(body, 'backends')) change.backends = parseBackends(project, body['backends']);
  if (has(body, 'healthChecks'))
    change.healthChecks = parseHealthCheckRefs(project, body['healthChecks'], bs.region);
  if (has(body, 'logConfig')) {
    const lc = body['logConfig'];
    if (!isRecord(lc)) throw fieldError('logConfig', lc, 'Must be an object.');
    change.logConfig = {
      enable: lc['enable'] === undefined ? bs.logConfig.enable : bool('logConfig.enable', lc['enable']),
      sampleRate:
        lc['sampleRate'] === undefined
          ? bs.logConfig.sampleRate
          : num('logConfig.sampleRate', lc['sampleRate'], 0, 1),
    };
  }
  // The result must still be a valid backend service (gcp-facts §4).
  const backends = change.backends ?? bs.backends;
  const healthChecks = change.healthChecks ?? bs.healthChecks;
  const negTypes = backends.map((b) => {
    const ref = parseResourceUrl(b.group);
    return ref?.kind === 'networkEndpointGroups'
      ? project.networkEndpointGroups.get(ref.name)?.networkEndpointType
      : 'INSTANCE_GROUP';
  });
  const needsCheck = negTypes.some(
    (t) => t === 'INSTANCE_GROUP' || t === 'GCE_VM_IP_PORT' || t === 'NON_GCP_PRIVATE_IP_PORT',
  );
  const forbidsCheck = negTypes.some(
    (t) => t === 'SERVERLESS' || t === 'INTERNET_FQDN_PORT' || t === 'INTERNET_IP_PORT',
  );
  if (needsCheck && healthChecks.length === 0) {
    throw invalid(
      `Invalid value for field 'resource.healthChecks': []. A health check is required for instance group, zonal and hybrid NEG backends.`,
    );
  }
  if (forbidsCheck && healthChecks.length > 0) {
    throw invalid(
      `Invalid value for field 'resource.healthChecks'. Health checks are not allowed with serverless or internet NEG backends.`,
    );
  }
  return change;
}

// --------------------------------------------------------------------------------------- health checks

const HC_TYPES = ['TCP', 'SSL', 'HTTP', 'HTTPS', 'HTTP2', 'GRPC'] as const;
const DEFAULT_PORT: Record<HealthCheckType, number | undefined> = {
  HTTP: 80,
  TCP: 80,
  HTTPS: 443,
  HTTP2: 443,
  SSL: 443,
  GRPC: undefined,
};

function mergeDetails(key: string, base: HealthCheckDetails, raw: unknown): HealthCheckDetails {
  if (!isRecord(raw)) throw fieldError(key, raw, 'Must be an object.');
  const out: HealthCheckDetails = { ...base };
  const clear = (k: keyof HealthCheckDetails): void => {
    if (raw[k] === null) delete out[k];
  };
  if (raw['port'] !== undefined && raw['port'] !== null) out.port = int(`${key}.port`, raw['port'], 1, 65535);
  if (raw['portName'] !== undefined && raw['portName'] !== null)
    out.portName = str(`${key}.portName`, raw['portName']);
  if (raw['portSpecification'] !== undefined && raw['portSpecification'] !== null) {
    out.portSpecification = oneOf(`${key}.portSpecification`, raw['portSpecification'], [
      'USE_FIXED_PORT',
      'USE_NAMED_PORT',
      'USE_SERVING_PORT',
    ] as const);
  }
  if (raw['requestPath'] !== undefined && raw['requestPath'] !== null) {
    const path = str(`${key}.requestPath`, raw['requestPath']);
    if (!path.startsWith('/')) throw fieldError(`${key}.requestPath`, path, "Must start with '/'.");
    out.requestPath = path;
  }
  if (raw['host'] !== undefined && raw['host'] !== null) out.host = str(`${key}.host`, raw['host']);
  if (raw['response'] !== undefined && raw['response'] !== null) {
    const response = str(`${key}.response`, raw['response']);
    if (response.length > 1024) throw fieldError(`${key}.response`, response, 'At most 1024 characters.');
    out.response = response;
  }
  if (raw['proxyHeader'] !== undefined && raw['proxyHeader'] !== null) {
    out.proxyHeader = oneOf(`${key}.proxyHeader`, raw['proxyHeader'], ['NONE', 'PROXY_V1'] as const);
  }
  (
    ['port', 'portName', 'portSpecification', 'requestPath', 'host', 'response', 'proxyHeader'] as const
  ).forEach(clear);
  return out;
}

/** What a health check patch changes; throws on an invalid request. */
export function healthCheckPatch(hc: HealthCheck, body: Record<string, unknown>): Partial<HealthCheck> {
  checkSameName(body, hc.name);
  const change: Partial<HealthCheck> = {};
  const type = has(body, 'type') ? oneOf('type', body['type'], HC_TYPES) : hc.type;
  if (type !== hc.type) change.type = type;
  const key = HEALTH_CHECK_DETAIL_KEY[type];
  for (const [otherType, otherKey] of Object.entries(HEALTH_CHECK_DETAIL_KEY)) {
    if (otherType !== type && has(body, otherKey)) {
      throw fieldError(otherKey, body[otherKey], `The health check type is ${type}; set ${key} instead.`);
    }
  }
  if (has(body, key)) {
    const base: HealthCheckDetails = type === hc.type ? hc.details : {};
    change.details = mergeDetails(key, base, body[key]);
  } else if (type !== hc.type) {
    const port = DEFAULT_PORT[type];
    change.details = port === undefined ? {} : { port };
  }
  if (has(body, 'description')) change.description = str('description', body['description']);
  if (has(body, 'checkIntervalSec'))
    change.checkIntervalSec = int('checkIntervalSec', body['checkIntervalSec'], 1, 300);
  if (has(body, 'timeoutSec')) change.timeoutSec = int('timeoutSec', body['timeoutSec'], 1, 300);
  if (has(body, 'healthyThreshold'))
    change.healthyThreshold = int('healthyThreshold', body['healthyThreshold'], 1, 10);
  if (has(body, 'unhealthyThreshold')) {
    change.unhealthyThreshold = int('unhealthyThreshold', body['unhealthyThreshold'], 1, 10);
  }
  const interval = change.checkIntervalSec ?? hc.checkIntervalSec;
  const timeout = change.timeoutSec ?? hc.timeoutSec;
  if (timeout > interval) {
    throw fieldError(
      'timeoutSec',
      timeout,
      `timeoutSec must be less than or equal to checkIntervalSec (${interval}).`,
    );
  }
  return change;
}

/** A new health check from an insert body: GCP's defaults (5 s, 5 s, 2/2, the type's default port). */
export function healthCheckFromInsert(body: Record<string, unknown>, id: string): HealthCheck {
  if (body['name'] === undefined) throw invalid("Required field 'resource.name' not specified");
  const name = resourceName('name', body['name']);
  if (body['type'] === undefined) throw invalid("Required field 'resource.type' not specified");
  const type = oneOf('type', body['type'], HC_TYPES);
  const port = DEFAULT_PORT[type];
  const base: HealthCheck = {
    id,
    name,
    type,
    checkIntervalSec: 5,
    timeoutSec: 5,
    healthyThreshold: 2,
    unhealthyThreshold: 2,
    details: port === undefined ? {} : { port },
    creationTimestamp: new Date().toISOString(),
  };
  return { ...base, ...healthCheckPatch(base, body) };
}

// ------------------------------------------------------------------------------------------ firewalls

const PROTOCOL_NAMES = ['tcp', 'udp', 'icmp', 'esp', 'ah', 'ipip', 'sctp', 'all'];
const PORT_PROTOCOLS = ['tcp', 'udp', 'sctp', '6', '17', '132'];

function validPortSpec(spec: string): boolean {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(spec);
  if (!m) return false;
  const low = Number(m[1]);
  const high = m[2] === undefined ? low : Number(m[2]);
  return low <= 65535 && high <= 65535 && low <= high;
}

function parsePermissions(field: string, value: unknown): FirewallPermission[] {
  if (!Array.isArray(value)) throw fieldError(field, value, 'Must be a list.');
  return value.map((raw, i): FirewallPermission => {
    const f = `${field}[${i}]`;
    if (!isRecord(raw)) throw fieldError(f, raw, 'Must be an object.');
    const protocol = str(`${f}.IPProtocol`, raw['IPProtocol']).toLowerCase();
    const numeric = /^\d{1,3}$/.test(protocol) && Number(protocol) <= 255;
    if (!PROTOCOL_NAMES.includes(protocol) && !numeric) {
      throw fieldError(
        `${f}.IPProtocol`,
        raw['IPProtocol'],
        'Must be a protocol name (tcp, udp, icmp, esp, ah, ipip, sctp) or number.',
      );
    }
    const rawPorts = raw['ports'];
    if (rawPorts === undefined) return { IPProtocol: protocol };
    if (!Array.isArray(rawPorts)) throw fieldError(`${f}.ports`, rawPorts, 'Must be a list.');
    const ports = strings(
      `${f}.ports`,
      rawPorts.map((p: unknown) => (typeof p === 'number' ? String(p) : p)),
      validPortSpec,
      'Must be a port or a port range such as 8000-9000.',
    );
    if (ports.length > 0 && !PORT_PROTOCOLS.includes(protocol)) {
      throw fieldError(`${f}.ports`, ports, 'Ports can only be specified for tcp, udp and sctp.');
    }
    return { IPProtocol: protocol, ports };
  });
}

function parseNetwork(project: Project, value: unknown): string {
  const s = str('network', value);
  const ref = parseResourceUrl(s);
  if (!ref || ref.kind !== 'networks' || ref.zone || ref.region) {
    throw fieldError('network', s, 'The URL is malformed.');
  }
  return networkLink(ref.project ?? project.projectId, ref.name);
}

/** A firewall's network must exist (GCP answers 404 for a missing one). */
function checkNetworkExists(project: Project, network: string): void {
  const ref = parseResourceUrl(network);
  const owner = ref?.project ?? project.projectId;
  if (ref === undefined || owner !== project.projectId || !project.networks.has(ref.name)) {
    throw notFound(`projects/${owner}/global/networks/${ref?.name ?? network}`);
  }
}

/** The firewall fields a body sets (insert and patch share this). */
function firewallFields(project: Project, body: Record<string, unknown>): Partial<Firewall> {
  const out: Partial<Firewall> = {};
  if (has(body, 'description')) out.description = str('description', body['description']);
  if (has(body, 'network')) out.network = parseNetwork(project, body['network']);
  if (has(body, 'direction'))
    out.direction = oneOf('direction', body['direction'], ['INGRESS', 'EGRESS'] as const);
  if (has(body, 'priority')) out.priority = int('priority', body['priority'], 0, 65535);
  if (has(body, 'disabled')) out.disabled = bool('disabled', body['disabled']);
  const cidrs = (field: 'sourceRanges' | 'destinationRanges'): void => {
    if (has(body, field))
      out[field] = strings(field, body[field], isCidr, 'Must be an IPv4 or IPv6 CIDR range.');
  };
  cidrs('sourceRanges');
  cidrs('destinationRanges');
  for (const field of [
    'sourceTags',
    'targetTags',
    'sourceServiceAccounts',
    'targetServiceAccounts',
  ] as const) {
    if (has(body, field)) out[field] = strings(field, body[field]);
  }
  if (has(body, 'allowed')) out.allowed = parsePermissions('allowed', body['allowed']);
  if (has(body, 'denied')) out.denied = parsePermissions('denied', body['denied']);
  return out;
}

/** Rules a whole firewall must satisfy (gcp-facts §3). */
function checkFirewall(fw: Firewall): void {
  const allowed = fw.allowed?.length ?? 0;
  const denied = fw.denied?.length ?? 0;
  if (allowed > 0 === denied > 0) {
    throw invalid(
      "Invalid value for field 'resource': exactly one of 'allowed' or 'denied' must be specified with at least one entry.",
    );
  }
  const nonEmpty = (list?: string[]) => (list?.length ?? 0) > 0;
  // https://cloud.google.com/firewall/docs/using-firewalls: "A firewall rule can contain either IPv4
  // or IPv6 ranges, but not both." (GCP's exact error text is unverified.)
  const ranges = [...(fw.sourceRanges ?? []), ...(fw.destinationRanges ?? [])];
  if (ranges.some(isIPv6Cidr) && !ranges.every(isIPv6Cidr)) {
    throw invalid(
      "Invalid value for field 'resource.sourceRanges': a firewall rule can contain either IPv4 or IPv6 ranges, but not both.",
    );
  }
  if (nonEmpty(fw.sourceServiceAccounts) && (nonEmpty(fw.sourceTags) || nonEmpty(fw.targetTags))) {
    throw invalid(
      "Invalid value for field 'resource.sourceServiceAccounts': cannot be used with sourceTags or targetTags.",
    );
  }
  if (nonEmpty(fw.targetServiceAccounts) && nonEmpty(fw.targetTags)) {
    throw invalid(
      "Invalid value for field 'resource.targetServiceAccounts': cannot be used with targetTags.",
    );
  }
  if (fw.direction === 'EGRESS' && (nonEmpty(fw.sourceTags) || nonEmpty(fw.sourceServiceAccounts))) {
    throw invalid(
      "Invalid value for field 'resource.sourceTags': source tags and service accounts are ingress-only.",
    );
  }
}

/** A new firewall from an insert body: defaults priority 1000, INGRESS, the default network. */
export function firewallFromInsert(project: Project, body: Record<string, unknown>, id: string): Firewall {
  if (body['name'] === undefined) throw invalid("Required field 'resource.name' not specified");
  const name = resourceName('name', body['name']);
  const fields = firewallFields(project, body);
  const fw: Firewall = {
    id,
    name,
    network: networkLink(project.projectId, 'default'),
    direction: 'INGRESS',
    priority: 1000,
    disabled: false,
    creationTimestamp: new Date().toISOString(),
    ...fields,
  };
  checkFirewall(fw);
  checkNetworkExists(project, fw.network);
  return fw;
}

/** What a firewall patch changes; network and direction cannot change. */
export function firewallPatch(
  project: Project,
  fw: Firewall,
  body: Record<string, unknown>,
): Partial<Firewall> {
  checkSameName(body, fw.name);
  const change = firewallFields(project, body);
  if (change.network !== undefined && change.network !== fw.network) {
    throw fieldError('network', body['network'], 'The network of a firewall rule cannot be changed.');
  }
  if (change.direction !== undefined && change.direction !== fw.direction) {
    throw fieldError('direction', body['direction'], 'The direction of a firewall rule cannot be changed.');
  }
  for (const key of ['allowed', 'denied'] as const) {
    if (body[key] === null) change[key] = [];
  }
  checkFirewall({ ...fw, ...change });
  return change;
}

// ------------------------------------------------------------------------------------- named ports

export function parseNamedPorts(value: unknown): NamedPort[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw fieldError('namedPorts', value, 'Must be a list.');
  return value.map((raw, i): NamedPort => {
    if (!isRecord(raw)) throw fieldError(`namedPorts[${i}]`, raw, 'Must be an object.');
    return {
      name: resourceName(`namedPorts[${i}].name`, raw['name']),
      port: int(`namedPorts[${i}].port`, raw['port'], 1, 65535),
    };
  });
}
