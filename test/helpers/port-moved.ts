/**
 * The port-moved scenario's resources as lbmedic may change them, read through the real compute
 * client: before the fix, and after it.
 */
import type { SimHarness } from './sim';

export const ZONE = 'us-central1-a';

/** The rule lbmedic inserts for probes to tcp:9090 on the instances tagged web (a deterministic name). */
export const PROBE_RULE = 'lbmedic-allow-health-checks-default-9090-bde1d01f';

export interface PortState {
  healthCheckPort: number | null | undefined;
  namedPorts: [string, number][];
  /** The scenario's own probe rule: never lbmedic's to change. */
  firewallPorts: string[][];
  /** lbmedic's rule for tcp:9090, when it exists. */
  probeRulePorts: string[][] | null;
  firewallRules: number;
}

export async function portState(sim: SimHarness): Promise<PortState> {
  const { clients, project } = sim;
  const [hc] = await clients.healthChecks.get({ project, healthCheck: 'web-hc' });
  const [ig] = await clients.instanceGroups.get({ project, zone: ZONE, instanceGroup: 'web-ig' });
  const [rules] = await clients.firewalls.list({ project });
  const ports = (name: string) => {
    const fw = rules.find((r) => r.name === name);
    return fw ? (fw.allowed ?? []).map((a) => [...(a.ports ?? [])]) : null;
  };
  return {
    healthCheckPort: hc.httpHealthCheck?.port,
    namedPorts: (ig.namedPorts ?? []).map((p) => [p.name ?? '', Number(p.port)]),
    firewallPorts: ports('allow-lb-health-checks') ?? [],
    probeRulePorts: ports(PROBE_RULE),
    firewallRules: rules.length,
  };
}

export const BEFORE: PortState = {
  healthCheckPort: 8080,
  namedPorts: [['http', 8080]],
  firewallPorts: [['8080']],
  probeRulePorts: null,
  firewallRules: 2,
};

/** Health check and named port on 9090; lbmedic's own rule admits the probes to 9090; the old rule untouched. */
export const FIXED: PortState = {
  healthCheckPort: 9090,
  namedPorts: [['http', 9090]],
  firewallPorts: [['8080']],
  probeRulePorts: [['9090']],
  firewallRules: 3,
};

/** The steps of port-moved's fix, in order, as a remediation result lists them. */
export const FIX_STEPS = ['healthCheck/web-hc', `instanceGroup/${ZONE}/web-ig`, `firewall/${PROBE_RULE}`];

/** The Compute operations of port-moved's fix, each once (see test/helpers/crash.ts operationCounts). */
export const FIX_OPERATIONS = {
  [`insert global/firewalls/${PROBE_RULE}`]: 1,
  'patch global/healthChecks/web-hc': 1,
  [`setNamedPorts zones/${ZONE}/instanceGroups/web-ig`]: 1,
};

/** The mutations among API requests (the simulator's request log): what lbmedic asked Google to change. */
const MUTATING = /\/(setNamedPorts)$|\/global\/(healthChecks|firewalls|backendServices)(\/[^/]+)?$/;
export function mutationsOf<T extends { method: string; path: string }>(requests: T[]): T[] {
  return requests.filter((r) => r.method !== 'GET' && MUTATING.test(r.path));
}
