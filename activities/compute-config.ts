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
  NegFacts,
} from '../core/evidence';
import type { EvidenceReaders } from '../core/collect';
import type { FirewallRule } from '../core/firewall';
import type { GcpClients } from './gcp-clients';
import { lastSegment, NO_AUTOPAGINATE, num } from './wire-values';

/** `.../zones/us-central1-a/instanceGroups/web-ig` → its parts. */
export function parseGroupUrl(url: string): BackendRef {
  const m = /(?:zones\/([^/]+)|regions\/([^/]+))\/(instanceGroups|networkEndpointGroups)\/([^/]+)$/.exec(url);
  if (!m) return { group: url, kind: 'instanceGroup', name: lastSegment(url) };
  return {
    group: url,
    kind: m[3] === 'networkEndpointGroups' ? 'neg' : 'instanceGroup',
    name: m[4] ?? lastSegment(url),
    ...(m[1] ? { zone: m[1] } : {}),
    ...(m[2] ? { region: m[2] } : {}),
  };
}

type ConfigReaders = Pick<
  EvidenceReaders,
  'readBackendService' | 'readHealthCheck' | 'readFirewallRules' | 'readInstanceGroups' | 'readNegs'
>;

export function createComputeConfigReaders(clients: GcpClients): ConfigReaders {
  return {
    async readBackendService({ project, backendService }) {
      const [bs] = await clients.backendServices.get({ project, backendService });
      return {
        name: bs.name ?? backendService,
        protocol: String(bs.protocol ?? 'HTTP'),
        portName: bs.portName ?? 'http',
        timeoutSec: num(bs.timeoutSec, 30),
        loadBalancingScheme: String(bs.loadBalancingScheme ?? ''),
        ...(bs.healthChecks?.[0] ? { healthCheck: lastSegment(bs.healthChecks[0]) } : {}),
        backends: (bs.backends ?? []).filter((b) => b.group).map((b) => parseGroupUrl(b.group ?? '')),
        ...(bs.fingerprint ? { fingerprint: bs.fingerprint } : {}),
      } satisfies BackendServiceFacts;
    },

    async readHealthCheck({ project, healthCheck }) {
      const [hc] = await clients.healthChecks.get({ project, healthCheck });
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
      for (const b of backends.filter((x) => x.kind === 'instanceGroup' && x.zone)) {
        const zone = b.zone ?? '';
        const [ig] = await clients.instanceGroups.get({ project, zone, instanceGroup: b.name });
        const instances: InstanceFacts[] = [];
        for await (const item of clients.instanceGroups.listInstancesAsync(
          {
            project,
            zone,
            instanceGroup: b.name,
            instanceGroupsListInstancesRequestResource: { instanceState: 'ALL' },
          },
          NO_AUTOPAGINATE,
        )) {
          const [vm] = await clients.instances.get({ project, zone, instance: lastSegment(item.instance) });
          const nic = vm.networkInterfaces?.[0];
          instances.push({
            name: vm.name ?? lastSegment(item.instance),
            group: b.name,
            zone,
            networkIP: nic?.networkIP ?? '',
            network: nic?.network ?? '',
            tags: vm.tags?.items ?? [],
            serviceAccounts: (vm.serviceAccounts ?? []).map((s) => s.email ?? '').filter(Boolean),
            status: String(vm.status ?? 'UNKNOWN'),
          });
        }
        out.push({
          name: ig.name ?? b.name,
          zone,
          network: ig.network ?? '',
          namedPorts: (ig.namedPorts ?? []).map((p) => ({ name: p.name ?? '', port: num(p.port) })),
          ...(ig.fingerprint ? { fingerprint: ig.fingerprint } : {}),
          instances,
        });
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
          out.push({
            name: n.name,
            type: String(n.networkEndpointType ?? ''),
            size: num(n.size),
            ...(where[0] === 'zones' && where[1] ? { zone: where[1] } : {}),
            ...(where[0] === 'regions' && where[1] ? { region: where[1] } : {}),
            ...(n.cloudRun?.service ? { cloudRunService: n.cloudRun.service } : {}),
            ...(n.defaultPort ? { defaultPort: n.defaultPort } : {}),
          });
        }
      }
      return out;
    },
  };
}
