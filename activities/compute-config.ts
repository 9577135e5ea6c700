/**
 * The load balancer's configuration from the Compute API: the backend service, its health check,
 * the firewall rules, the instance groups (named ports, instances) and the NEGs.
 */
import type {
  BackendRef,
  BackendServiceFacts,
  HealthCheckFacts,
  InstanceFacts,
  InstanceGroupFacts,
  NegEndpointFacts,
  NegFacts,
} from '../core/evidence';
import type { EvidenceReaders } from '../core/collect';
import type { FirewallRule } from '../core/firewall';
import { PROBE_RANGES } from '../core/firewall';
import type { GcpClients } from './gcp-clients';
import { lastSegment, NO_AUTOPAGINATE, num, regionOf } from './wire-values';

/** `.../zones/us-central1-a/instanceGroups/web-ig` → its parts (a global internet NEG has no zone or region). */
export function parseGroupUrl(url: string): BackendRef {
  const m =
    /(?:zones\/([^/]+)|regions\/([^/]+)|global)\/(instanceGroups|networkEndpointGroups)\/([^/]+)$/.exec(url);
  if (!m) return { group: url, kind: 'instanceGroup', name: lastSegment(url) };
  return {
    group: url,
    kind: m[3] === 'networkEndpointGroups' ? 'neg' : 'instanceGroup',
    name: m[4] ?? lastSegment(url),
    ...(m[1] ? { zone: m[1] } : {}),
    ...(m[2] ? { region: m[2] } : {}),
  };
}

/** `.../regions/us-central1/healthChecks/hc` → `us-central1`; undefined for a global one. */

/** `.../zones/us-central1-a/instances/web-1` → `us-central1-a`. */
const zoneOf = (url: string): string => /\/zones\/([^/]+)\//.exec(url)?.[1] ?? '';

/**
 * The ranges a regional load balancer's Envoy proxies send from: its region's active proxy-only
 * subnets (`REGIONAL_MANAGED_PROXY`, or `INTERNAL_HTTPS_LOAD_BALANCER` as older ones say), per
 * https://cloud.google.com/load-balancing/docs/proxy-only-subnets.
 */
async function proxyOnlyRanges(clients: GcpClients, project: string, region: string): Promise<string[]> {
  const ranges: string[] = [];
  for await (const s of clients.subnetworks.listAsync({ project, region }, NO_AUTOPAGINATE)) {
    const purpose = String(s.purpose ?? '');
    const proxy = purpose === 'REGIONAL_MANAGED_PROXY' || purpose === 'INTERNAL_HTTPS_LOAD_BALANCER';
    if (proxy && String(s.role ?? 'ACTIVE') === 'ACTIVE' && s.ipCidrRange) ranges.push(s.ipCidrRange);
  }
  return ranges.sort();
}

type ConfigReaders = Pick<
  EvidenceReaders,
  'readBackendService' | 'readHealthCheck' | 'readFirewallRules' | 'readInstanceGroups' | 'readNegs'
>;

export function createComputeConfigReaders(clients: GcpClients): ConfigReaders {
  return {
    async readBackendService({ project, backendService, region }) {
      const [bs] = region
        ? await clients.regionBackendServices.get({ project, region, backendService })
        : await clients.backendServices.get({ project, backendService });
      const hcRegion = regionOf(bs.healthChecks?.[0]);
      return {
        name: bs.name ?? backendService,
        protocol: String(bs.protocol ?? 'HTTP'),
        portName: bs.portName ?? 'http',
        timeoutSec: num(bs.timeoutSec, 30),
        loadBalancingScheme: String(bs.loadBalancingScheme ?? ''),
        ...(bs.healthChecks?.[0] ? { healthCheck: lastSegment(bs.healthChecks[0]) } : {}),
        ...(hcRegion ? { healthCheckRegion: hcRegion } : {}),
        backends: (bs.backends ?? []).filter((b) => b.group).map((b) => parseGroupUrl(b.group ?? '')),
        ...(bs.fingerprint ? { fingerprint: bs.fingerprint } : {}),
        ...(region ? { region } : {}),
        dataSourceRanges: region ? await proxyOnlyRanges(clients, project, region) : [...PROBE_RANGES],
      } satisfies BackendServiceFacts;
    },

    async readHealthCheck({ project, healthCheck, healthCheckRegion: region }) {
      const [hc] = region
        ? await clients.regionHealthChecks.get({ project, region, healthCheck })
        : await clients.healthChecks.get({ project, healthCheck });
      const type = String(hc.type ?? 'TCP');
      const details =
        hc.httpHealthCheck ??
        hc.httpsHealthCheck ??
        hc.http2HealthCheck ??
        hc.tcpHealthCheck ??
        hc.sslHealthCheck ??
        {};
      const d = details as {
        port?: number | null;
        portName?: string | null;
        portSpecification?: unknown;
        requestPath?: string | null;
        host?: string | null;
        response?: string | null;
        proxyHeader?: unknown;
      };
      return {
        name: hc.name ?? healthCheck,
        ...(region ? { region } : {}),
        type,
        ...(d.port ? { port: d.port } : {}),
        ...(d.portName ? { portName: d.portName } : {}),
        ...(d.portSpecification ? { portSpecification: String(d.portSpecification) } : {}),
        ...(d.requestPath
          ? { requestPath: d.requestPath }
          : type.startsWith('HTTP')
            ? { requestPath: '/' }
            : {}),
        ...(hc.description ? { description: hc.description } : {}),
        ...(d.host ? { host: d.host } : {}),
        ...(d.response ? { response: d.response } : {}),
        ...(d.proxyHeader ? { proxyHeader: String(d.proxyHeader) } : {}),
        checkIntervalSec: num(hc.checkIntervalSec, 5),
        timeoutSec: num(hc.timeoutSec, 5),
        healthyThreshold: num(hc.healthyThreshold, 2),
        unhealthyThreshold: num(hc.unhealthyThreshold, 2),
      } satisfies HealthCheckFacts;
    },

    async readFirewallRules({ project }) {
      const rules: FirewallRule[] = [];
      for await (const f of clients.firewalls.listAsync({ project }, NO_AUTOPAGINATE)) {
        rules.push({
          name: f.name ?? '',
          network: f.network ?? '',
          direction: String(f.direction ?? 'INGRESS'),
          priority: num(f.priority, 1000),
          sourceRanges: f.sourceRanges ?? [],
          sourceTags: f.sourceTags ?? [],
          sourceServiceAccounts: f.sourceServiceAccounts ?? [],
          targetTags: f.targetTags ?? [],
          targetServiceAccounts: f.targetServiceAccounts ?? [],
          allowed: (f.allowed ?? []).map((a) => ({ IPProtocol: a.IPProtocol ?? '', ports: a.ports ?? [] })),
          denied: (f.denied ?? []).map((a) => ({ IPProtocol: a.IPProtocol ?? '', ports: a.ports ?? [] })),
          disabled: Boolean(f.disabled),
          ...(f.description ? { description: f.description } : {}),
        });
      }
      return rules;
    },

    async readInstanceGroups({ project, backends }) {
      const out: InstanceGroupFacts[] = [];
      for (const b of backends.filter((x) => x.kind === 'instanceGroup' && (x.zone || x.region))) {
        out.push(await readGroup(clients, project, b));
      }
      return out;
    },

    async readNegs({ project, backends }) {
      const wanted = new Set(backends.filter((b) => b.kind === 'neg').map((b) => b.name));
      if (wanted.size === 0) return [];
      const out: NegFacts[] = [];
      for await (const [scope, list] of clients.networkEndpointGroups.aggregatedListAsync(
        { project },
        NO_AUTOPAGINATE,
      )) {
        for (const n of list.networkEndpointGroups ?? []) {
          if (!n.name || !wanted.has(n.name)) continue;
          const where = scope.split('/');
          const zone = where[0] === 'zones' ? where[1] : undefined;
          const type = String(n.networkEndpointType ?? '');
          out.push({
            name: n.name,
            type,
            size: num(n.size),
            ...(zone ? { zone } : {}),
            ...(where[0] === 'regions' && where[1] ? { region: where[1] } : {}),
            ...(n.cloudRun?.service ? { cloudRunService: n.cloudRun.service } : {}),
            ...(n.defaultPort ? { defaultPort: n.defaultPort } : {}),
            ...(zone || where[0] === 'global'
              ? { endpoints: await readEndpoints(clients, project, n.name, zone, n.defaultPort ?? undefined) }
              : {}),
          });
        }
      }
      return out;
    },
  };
}

/** One backend instance group, zonal or regional, with its instances (each read in its zone). */
async function readGroup(clients: GcpClients, project: string, b: BackendRef): Promise<InstanceGroupFacts> {
  const zone = b.zone ?? '';
  const region = b.zone ? undefined : b.region;
  const listRequest = { instanceState: 'ALL' };
  const [ig] = region
    ? await clients.regionInstanceGroups.get({ project, region, instanceGroup: b.name })
    : await clients.instanceGroups.get({ project, zone, instanceGroup: b.name });
  const listed = region
    ? clients.regionInstanceGroups.listInstancesAsync(
        {
          project,
          region,
          instanceGroup: b.name,
          regionInstanceGroupsListInstancesRequestResource: listRequest,
        },
        NO_AUTOPAGINATE,
      )
    : clients.instanceGroups.listInstancesAsync(
        { project, zone, instanceGroup: b.name, instanceGroupsListInstancesRequestResource: listRequest },
        NO_AUTOPAGINATE,
      );
  const instances: InstanceFacts[] = [];
  for await (const item of listed) {
    const url = item.instance ?? '';
    instances.push(await readInstance(clients, project, zoneOf(url) || zone, lastSegment(url), b.name));
  }
  return {
    name: ig.name ?? b.name,
    zone,
    ...(region ? { region } : {}),
    network: ig.network ?? '',
    namedPorts: (ig.namedPorts ?? []).map((p) => ({ name: p.name ?? '', port: num(p.port) })),
    ...(ig.fingerprint ? { fingerprint: ig.fingerprint } : {}),
    instances,
  };
}

/** One VM: its address, network, tags and service accounts (what the firewall judges). */
export async function readInstance(
  clients: GcpClients,
  project: string,
  zone: string,
  instance: string,
  group: string,
): Promise<InstanceFacts> {
  const [vm] = await clients.instances.get({ project, zone, instance });
  const nic = vm.networkInterfaces?.[0];
  return {
    name: vm.name ?? instance,
    group,
    zone,
    networkIP: nic?.networkIP ?? '',
    network: nic?.network ?? '',
    tags: vm.tags?.items ?? [],
    serviceAccounts: (vm.serviceAccounts ?? []).map((s) => s.email ?? '').filter(Boolean),
    status: String(vm.status ?? 'UNKNOWN'),
  };
}

/**
 * A zonal or global NEG's endpoints (serverless NEGs have none): each with its port (the NEG's
 * default port unless it names one) and, for a GCE_VM_IP_PORT endpoint, its VM.
 */
async function readEndpoints(
  clients: GcpClients,
  project: string,
  neg: string,
  zone: string | undefined,
  defaultPort: number | undefined,
): Promise<NegEndpointFacts[]> {
  const listed = zone
    ? clients.networkEndpointGroups.listNetworkEndpointsAsync(
        {
          project,
          zone,
          networkEndpointGroup: neg,
          networkEndpointGroupsListEndpointsRequestResource: { healthStatus: 'SKIP' },
        },
        NO_AUTOPAGINATE,
      )
    : clients.globalNetworkEndpointGroups.listNetworkEndpointsAsync(
        { project, networkEndpointGroup: neg },
        NO_AUTOPAGINATE,
      );
  const out: NegEndpointFacts[] = [];
  for await (const item of listed) {
    const e = item.networkEndpoint ?? {};
    const port = num(e.port, defaultPort ?? 0);
    const vm =
      e.instance && zone
        ? await readInstance(clients, project, zoneOf(e.instance) || zone, lastSegment(e.instance), neg)
        : undefined;
    out.push({
      port,
      ...(e.ipAddress ? { ipAddress: e.ipAddress } : {}),
      ...(e.fqdn ? { fqdn: e.fqdn } : {}),
      ...(vm ? { instance: vm } : {}),
    });
  }
  return out;
}
