/**
 * The port-moved scenario's resources as lbmedic may change them, read through the real compute
 * client: before the fix, and after it.
 */
import type { SimHarness } from './sim';

export const ZONE = 'us-central1-a';

export interface PortState {
  healthCheckPort: number | null | undefined;
  namedPorts: [string, number][];
  firewallPorts: string[][];
  firewallRules: number;
}

export async function portState(sim: SimHarness): Promise<PortState> {
  const { clients, project } = sim;
  const [hc] = await clients.healthChecks.get({ project, healthCheck: 'web-hc' });
  const [ig] = await clients.instanceGroups.get({ project, zone: ZONE, instanceGroup: 'web-ig' });
  const [fw] = await clients.firewalls.get({ project, firewall: 'allow-lb-health-checks' });
  const [rules] = await clients.firewalls.list({ project });
  return {
    healthCheckPort: hc.httpHealthCheck?.port,
    namedPorts: (ig.namedPorts ?? []).map((p) => [p.name ?? '', Number(p.port)]),
    firewallPorts: (fw.allowed ?? []).map((a) => [...(a.ports ?? [])]),
    firewallRules: rules.length,
  };
}

export const BEFORE: PortState = {
  healthCheckPort: 8080,
  namedPorts: [['http', 8080]],
  firewallPorts: [['8080']],
  firewallRules: 2,
};

/** Health check, named port and probe firewall rule all on 9090; no second rule. */
export const FIXED: PortState = {
  healthCheckPort: 9090,
  namedPorts: [['http', 9090]],
  firewallPorts: [['9090']],
  firewallRules: 2,
};

/** The steps of port-moved's fix, in order, as a remediation result lists them. */
export const FIX_STEPS = [
  'healthCheck/web-hc',
  `instanceGroup/${ZONE}/web-ig`,
  'firewall/allow-lb-health-checks',
];

/** The Compute operations of port-moved's fix, each once (see test/helpers/crash.ts operationCounts). */
export const FIX_OPERATIONS = {
  'patch global/firewalls/allow-lb-health-checks': 1,
  'patch global/healthChecks/web-hc': 1,
  [`setNamedPorts zones/${ZONE}/instanceGroups/web-ig`]: 1,
};

/** The mutations among API requests (the simulator's request log): what lbmedic asked Google to change. */
const MUTATING = /\/(setNamedPorts)$|\/global\/(healthChecks|firewalls|backendServices)(\/[^/]+)?$/;
export function mutationsOf<T extends { method: string; path: string }>(requests: T[]): T[] {
  return requests.filter((r) => r.method !== 'GET' && MUTATING.test(r.path));
}
