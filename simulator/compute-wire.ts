/**
 * Compute resources as the REST API shows them: camelCase, `kind`, `selfLink`, uint64 ids as strings,
 * int32 fields (`size`, `port`, `targetSize`) as numbers, health check details under the key that
 * matches the type. Internal simulator state (app specs, probe records) never appears here.
 */
import { createHash } from 'node:crypto';
import type {
  BackendService,
  Firewall,
  HealthCheck,
  HealthCheckType,
  Instance,
  InstanceGroup,
  NetworkEndpointGroup,
  Subnetwork,
} from './model';
import { regionLink, selfLink, zoneLink } from './urls';

export const HEALTH_CHECK_DETAIL_KEY: Record<HealthCheckType, string> = {
  HTTP: 'httpHealthCheck',
  HTTPS: 'httpsHealthCheck',
  HTTP2: 'http2HealthCheck',
  TCP: 'tcpHealthCheck',
  SSL: 'sslHealthCheck',
  GRPC: 'grpcHealthCheck',
};

/** A stable uint64-looking id derived from another id, for resources the model does not store. */
function derivedId(seed: string): string {
  const digits = BigInt(`0x${createHash('sha256').update(seed).digest('hex').slice(0, 15)}`).toString();
  return `1${digits.padStart(18, '0').slice(0, 18)}`;
}

function defined(obj: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined));
}

export function backendServiceJson(project: string, bs: BackendService): Record<string, unknown> {
  const urlMap = bs.frontend.urlMap.startsWith('https://')
    ? bs.frontend.urlMap
    : selfLink(project, 'urlMaps', bs.frontend.urlMap, bs.region);
  return defined({
    kind: 'compute#backendService',
    id: bs.id,
    creationTimestamp: bs.creationTimestamp,
    name: bs.name,
    description: bs.description ?? '',
    region: bs.region === undefined ? undefined : regionLink(project, bs.region),
    selfLink: selfLink(project, 'backendServices', bs.name, bs.region),
    backends: bs.backends.map((b) => ({ ...b })),
    healthChecks: [...bs.healthChecks],
    timeoutSec: bs.timeoutSec,
    port: bs.port,
    protocol: bs.protocol,
    portName: bs.portName,
    fingerprint: bs.fingerprint,
    loadBalancingScheme: bs.loadBalancingScheme,
    logConfig: { ...bs.logConfig },
    connectionDraining: { drainingTimeoutSec: 0 },
    usedBy: [{ reference: urlMap }],
  });
}

export function healthCheckJson(project: string, hc: HealthCheck): Record<string, unknown> {
  return defined({
    kind: 'compute#healthCheck',
    id: hc.id,
    creationTimestamp: hc.creationTimestamp,
    name: hc.name,
    description: hc.description ?? '',
    checkIntervalSec: hc.checkIntervalSec,
    timeoutSec: hc.timeoutSec,
    unhealthyThreshold: hc.unhealthyThreshold,
    healthyThreshold: hc.healthyThreshold,
    type: hc.type,
    [HEALTH_CHECK_DETAIL_KEY[hc.type]]: defined({ ...hc.details }),
    region: hc.region === undefined ? undefined : regionLink(project, hc.region),
    selfLink: selfLink(project, 'healthChecks', hc.name, hc.region),
  });
}

export function firewallJson(project: string, fw: Firewall): Record<string, unknown> {
  const copy = (list?: string[]) => (list && list.length > 0 ? [...list] : undefined);
  return defined({
    kind: 'compute#firewall',
    id: fw.id,
    creationTimestamp: fw.creationTimestamp,
    name: fw.name,
    description: fw.description ?? '',
    network: fw.network,
    priority: fw.priority,
    sourceRanges: copy(fw.sourceRanges),
    destinationRanges: copy(fw.destinationRanges),
    sourceTags: copy(fw.sourceTags),
    sourceServiceAccounts: copy(fw.sourceServiceAccounts),
    targetTags: copy(fw.targetTags),
    targetServiceAccounts: copy(fw.targetServiceAccounts),
    allowed: fw.allowed?.map((p) => defined({ ...p })),
    denied: fw.denied?.map((p) => defined({ ...p })),
    direction: fw.direction,
    logConfig: { enable: false },
    disabled: fw.disabled,
    selfLink: selfLink(project, 'firewalls', fw.name),
  });
}

export function instanceJson(project: string, inst: Instance): Record<string, unknown> {
  return {
    kind: 'compute#instance',
    id: inst.id,
    creationTimestamp: inst.creationTimestamp,
    name: inst.name,
    tags: { items: [...inst.tags], fingerprint: derivedId(`tags/${inst.tags.join(',')}`).slice(0, 11) },
    machineType: `${zoneLink(project, inst.zone)}/machineTypes/e2-small`,
    status: inst.status,
    zone: zoneLink(project, inst.zone),
    networkInterfaces: [
      { kind: 'compute#networkInterface', name: 'nic0', network: inst.network, networkIP: inst.networkIP },
    ],
    serviceAccounts: inst.serviceAccounts.map((email) => ({
      email,
      scopes: ['https://www.googleapis.com/auth/cloud-platform'],
    })),
    selfLink: selfLink(project, 'instances', inst.name, inst.zone),
  };
}

export function instanceGroupJson(project: string, ig: InstanceGroup): Record<string, unknown> {
  return defined({
    kind: 'compute#instanceGroup',
    id: ig.id,
    creationTimestamp: ig.creationTimestamp,
    name: ig.name,
    description: ig.managerName
      ? "This instance group is controlled by Instance Group Manager '" +
        ig.managerName +
        "'. To modify instances in this group, use the Instance Group Manager API."
      : '',
    namedPorts: ig.namedPorts.map((p) => ({ ...p })),
    network: ig.network,
    fingerprint: ig.fingerprint,
    zone: ig.zone === undefined ? undefined : zoneLink(project, ig.zone),
    region: ig.region === undefined ? undefined : regionLink(project, ig.region),
    size: ig.instances.length,
    selfLink: selfLink(project, 'instanceGroups', ig.name, ig.zone ?? ig.region),
  });
}

/**
 * A managed instance group, derived from the instance group it owns (the model stores only that). A
 * regional one has a `region` and a `distributionPolicy` naming the zones its instances are in.
 */
export function instanceGroupManagerJson(
  project: string,
  ig: InstanceGroup,
  instanceZones: string[] = [],
): Record<string, unknown> {
  const name = ig.managerName ?? ig.name;
  const size = ig.instances.length;
  const location = ig.zone ?? ig.region;
  return defined({
    kind: 'compute#instanceGroupManager',
    id: derivedId(`igm/${ig.id}`),
    creationTimestamp: ig.creationTimestamp,
    name,
    zone: ig.zone === undefined ? undefined : zoneLink(project, ig.zone),
    region: ig.region === undefined ? undefined : regionLink(project, ig.region),
    distributionPolicy:
      ig.region === undefined
        ? undefined
        : {
            zones: [...new Set(instanceZones)].sort().map((zone) => ({ zone: zoneLink(project, zone) })),
            targetShape: 'EVEN',
          },
    instanceTemplate: selfLink(project, 'instanceTemplates', `${name}-template`),
    instanceGroup: selfLink(project, 'instanceGroups', ig.name, location),
    baseInstanceName: name,
    fingerprint: ig.fingerprint,
    currentActions: {
      none: size,
      creating: 0,
      creatingWithoutRetries: 0,
      verifying: 0,
      recreating: 0,
      deleting: 0,
      abandoning: 0,
      restarting: 0,
      refreshing: 0,
      resuming: 0,
      starting: 0,
      stopping: 0,
      suspending: 0,
    },
    status: { isStable: true, versionTarget: { isReached: true } },
    targetSize: size,
    namedPorts: ig.namedPorts.map((p) => ({ ...p })),
    selfLink: selfLink(project, 'instanceGroupManagers', name, location),
  });
}

/**
 * `size` is the number of endpoints. For serverless NEGs GCP reports 0 as well (they have no
 * endpoints), so a serverless NEG's health shows only through traffic, never through `size`. Hybrid
 * and internet NEGs count their external endpoints; a global (internet) NEG has neither zone nor region.
 */
export function networkEndpointGroupJson(
  project: string,
  neg: NetworkEndpointGroup,
): Record<string, unknown> {
  const location = neg.zone ?? neg.region;
  return defined({
    kind: 'compute#networkEndpointGroup',
    id: neg.id,
    creationTimestamp: neg.creationTimestamp,
    name: neg.name,
    networkEndpointType: neg.networkEndpointType,
    size: neg.endpoints.length + (neg.externalEndpoints?.length ?? 0),
    zone: neg.zone ? zoneLink(project, neg.zone) : undefined,
    region: neg.region ? regionLink(project, neg.region) : undefined,
    network: neg.network,
    defaultPort: neg.defaultPort,
    cloudRun: neg.cloudRun ? defined({ ...neg.cloudRun }) : undefined,
    selfLink: selfLink(project, 'networkEndpointGroups', neg.name, location),
  });
}

export function subnetworkJson(project: string, subnet: Subnetwork): Record<string, unknown> {
  return defined({
    kind: 'compute#subnetwork',
    id: subnet.id,
    creationTimestamp: subnet.creationTimestamp,
    name: subnet.name,
    description: '',
    network: subnet.network,
    ipCidrRange: subnet.ipCidrRange,
    region: regionLink(project, subnet.region),
    purpose: subnet.purpose,
    role: subnet.role,
    fingerprint: subnet.fingerprint,
    stackType: 'IPV4_ONLY',
    selfLink: selfLink(project, 'subnetworks', subnet.name, subnet.region),
  });
}
