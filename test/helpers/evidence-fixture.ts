/**
 * Evidence as the activities would collect it from a small world described by a few knobs, for
 * table-style tests of the classifier and the planner.
 */
import type { Evidence, ProbeResult } from '../../core/evidence';
import type { FirewallRule } from '../../core/firewall';

export const NET = 'https://www.googleapis.com/compute/v1/projects/p/global/networks/default';
const IG = 'https://www.googleapis.com/compute/v1/projects/p/zones/z1/instanceGroups/web-ig';

export interface World {
  appPort: number;
  appDown?: boolean;
  appPaths: string[];
  hcPort: number;
  hcPath: string;
  portSpecification?: string;
  namedPort: number | undefined;
  firewallPort: number | undefined;
  healthy: boolean;
  logs: Record<string, number>;
  latencyMaxMs?: number;
  timeoutSec: number;
}

export const good: World = {
  appPort: 8080,
  appPaths: ['/', '/healthz'],
  hcPort: 8080,
  hcPath: '/healthz',
  namedPort: 8080,
  firewallPort: 8080,
  healthy: true,
  logs: { response_sent_by_backend: 500 },
  timeoutSec: 30,
};

const instances = ['web-1', 'web-2'];

/** Evidence as the activities would collect it from a world like `w`. */
export function evidence(w: World, overrides: Partial<Evidence> = {}): Evidence {
  const probe: ProbeResult[] = instances.flatMap((instance, i) =>
    [w.appPort, w.hcPort, w.namedPort ?? 80, 9999].flatMap((port) =>
      ['/', '/healthz', w.hcPath].map((path) => ({
        instance,
        ipAddress: `127.9.0.${i + 2}`,
        port,
        path,
        latencyMs: 1,
        ...(port === w.appPort && !w.appDown
          ? { status: w.appPaths.includes(path) ? 200 : 404 }
          : { error: 'ECONNREFUSED' }),
      })),
    ),
  );
  const rules: FirewallRule[] =
    w.firewallPort === undefined
      ? []
      : [
          {
            name: 'allow-hc',
            network: NET,
            direction: 'INGRESS',
            priority: 1000,
            sourceRanges: ['35.191.0.0/16', '130.211.0.0/22'],
            targetTags: ['web'],
            allowed: [{ IPProtocol: 'tcp', ports: [String(w.firewallPort)] }],
          },
        ];
  const byStatus: Record<string, number> = {};
  for (const [detail, n] of Object.entries(w.logs)) {
    const s = detail === 'response_sent_by_backend' ? '200' : '502';
    byStatus[s] = (byStatus[s] ?? 0) + n;
  }
  return {
    project: 'p',
    backendService: 'web-bs',
    collectedAt: '2026-11-24T00:00:00Z',
    backend: {
      ok: true,
      value: {
        name: 'web-bs',
        protocol: 'HTTP',
        portName: 'http',
        timeoutSec: w.timeoutSec,
        loadBalancingScheme: 'EXTERNAL_MANAGED',
        healthCheck: 'web-hc',
        backends: [{ group: IG, kind: 'instanceGroup', name: 'web-ig', zone: 'z1' }],
      },
    },
    health: {
      ok: true,
      value: instances.map((instance, i) => ({
        instance,
        group: 'web-ig',
        ipAddress: `127.9.0.${i + 2}`,
        healthState: w.healthy ? 'HEALTHY' : 'UNHEALTHY',
      })),
    },
    healthCheck: {
      ok: true,
      value: {
        name: 'web-hc',
        type: 'HTTP',
        port: w.hcPort,
        requestPath: w.hcPath,
        ...(w.portSpecification ? { portSpecification: w.portSpecification } : {}),
        checkIntervalSec: 5,
        timeoutSec: 5,
        healthyThreshold: 2,
        unhealthyThreshold: 2,
      },
    },
    firewallRules: { ok: true, value: rules },
    instanceGroups: {
      ok: true,
      value: [
        {
          name: 'web-ig',
          zone: 'z1',
          network: NET,
          namedPorts: w.namedPort === undefined ? [] : [{ name: 'http', port: w.namedPort }],
          instances: instances.map((name, i) => ({
            name,
            group: 'web-ig',
            zone: 'z1',
            networkIP: `127.9.0.${i + 2}`,
            network: NET,
            tags: ['web'],
            serviceAccounts: [],
            status: 'RUNNING',
          })),
        },
      ],
    },
    logs: {
      ok: true,
      value: { windowMinutes: 10, total: 500, limit: 5000, byStatusDetails: w.logs, byStatus },
    },
    latency: {
      ok: true,
      value: {
        windowMinutes: 10,
        requests: 500,
        p50Ms: 20,
        p99Ms: w.latencyMaxMs ?? 40,
        maxMs: w.latencyMaxMs ?? 40,
      },
    },
    negs: { ok: true, value: [] },
    probe: { ok: true, value: probe },
    topology: {
      ok: true,
      value: {
        backendServices: [
          {
            name: 'web-bs',
            portName: 'http',
            healthCheck: 'web-hc',
            groups: [{ name: 'web-ig', zone: 'z1' }],
          },
        ],
        instanceGroups: [{ name: 'web-ig', zone: 'z1', instances }],
        instances: instances.map((name) => ({
          name,
          zone: 'z1',
          network: NET,
          tags: ['web'],
          serviceAccounts: [],
        })),
        truncated: [],
      },
    },
    ...overrides,
  };
}

export const broken = (w: Partial<World>): World => ({
  ...good,
  healthy: false,
  logs: { failed_to_pick_backend: 400 },
  ...w,
});
