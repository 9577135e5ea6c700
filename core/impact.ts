/**
 * Impact: what else a change reaches besides the backend service lbmedic was called for. Pure, from
 * the project's topology (activities/topology.ts) and the firewall rules:
 * - a health check reaches every backend service that uses it;
 * - a firewall rule reaches the instances it applies to (its network, target tags or service
 *   accounts) and the backend services those instances serve;
 * - an instance group's named port reaches every backend service that has the group as a backend
 *   and looks up that port name.
 * The plan shows it ("also affects: …"), verification checks every backend service it names, and a
 * policy's `maxImpact` decides whether a step that reaches further may go ahead
 * ({@link impactVerdict}). A topology that could not be read, or was cut at its bound, makes the
 * impact incomplete: lbmedic then treats the step as reaching further than any limit.
 */
import type { Source, TopologyFacts } from './evidence';
import { type FirewallRule, networkName, ruleAppliesTo } from './firewall';
import type { Mutation } from './mutation';

export interface StepImpact {
  /** The other backend services the change reaches (never the target), sorted. */
  backendServices: string[];
  /** How, in words: `health check web-hc is also used by api-bs`. */
  via: string;
  /** For firewall steps: how many instances the rule applies to. */
  instances?: number;
  /** False when the topology was not read in full: the change may reach more than listed. */
  complete: boolean;
}

/** A backend service a change also reaches, and how many of its backends were HEALTHY. */
export interface SiblingHealth {
  backendService: string;
  healthy: number;
  total: number;
}

/** How far a policy lets one step reach on its own (the policy's `maxImpact`). */
export interface ImpactLimit {
  /** Other backend services a step may reach; 0 means the target backend service only. */
  otherBackendServices: number;
  /** What a step that reaches further does: escalates, waits for a person, or goes ahead. */
  beyond: 'escalate' | 'approve' | 'allow';
}

/**
 * How impact names a backend service: its name when it is global, `region/name` when it is regional
 * (a global and a regional backend service may share a name; a name never holds a `/`).
 */
export function backendServiceKey(b: { name: string; region?: string | undefined }): string {
  return b.region ? `${b.region}/${b.name}` : b.name;
}

/** The backend service a {@link backendServiceKey} names. */
export function parseBackendServiceKey(key: string): { backendService: string; region?: string } {
  const at = key.indexOf('/');
  return at < 0 ? { backendService: key } : { backendService: key.slice(at + 1), region: key.slice(0, at) };
}

/**
 * The backend services (keys) that use health check `name`: a global check is used by global backend
 * services only, a regional one by backend services of its region only.
 */
export function healthCheckUsers(topo: TopologyFacts, name: string, region?: string): string[] {
  return sorted(
    topo.backendServices
      .filter((b) => b.healthCheck === name && b.healthCheckRegion === region)
      .map(backendServiceKey),
  );
}

/** The backend services that have `group` as a backend and look up one of `portNames` on it. */
export function portNameUsers(
  topo: TopologyFacts,
  group: { name: string; zone: string },
  portNames: string[],
): string[] {
  return sorted(
    topo.backendServices
      .filter((b) => portNames.includes(b.portName))
      .filter((b) => b.groups.some((g) => g.name === group.name && g.zone === group.zone))
      .map(backendServiceKey),
  );
}

/** The instances a rule applies to, and the backend services whose instance groups hold them. */
export function ruleReach(
  topo: TopologyFacts,
  rule: Pick<FirewallRule, 'network' | 'targetTags' | 'targetServiceAccounts'>,
): { instances: string[]; backendServices: string[] } {
  const probe: FirewallRule = { name: '', direction: 'INGRESS', priority: 0, ...rule };
  const instances = topo.instances.filter((i) => ruleAppliesTo(probe, i)).map((i) => `${i.zone}/${i.name}`);
  const reached = new Set(instances);
  // A regional group (zone '') names its members `zone/name`.
  const groups = topo.instanceGroups.filter((g) =>
    g.instances.some((i) => reached.has(g.zone ? `${g.zone}/${i}` : i)),
  );
  const backendServices = topo.backendServices
    .filter((b) => b.groups.some((bg) => groups.some((g) => g.name === bg.name && g.zone === bg.zone)))
    .map(backendServiceKey);
  return { instances: sorted(instances), backendServices: sorted(backendServices) };
}

/** The named ports whose port a change of `before` into `after` adds, moves or removes. */
function changedPortNames(
  before: { name: string; port: number }[],
  after: { name: string; port: number }[],
): string[] {
  const names = new Set([...before, ...after].map((p) => p.name));
  return [...names].filter(
    (n) => before.find((p) => p.name === n)?.port !== after.find((p) => p.name === n)?.port,
  );
}

const list = (names: string[]) => names.join(', ');

/** The firewall rule a step's mutation leaves behind (or removes): its network and targets. */
function ruleOf(m: Mutation, rules: FirewallRule[]): FirewallRule | undefined {
  if (m.kind === 'insertFirewall') {
    return {
      name: m.firewall,
      network: m.network,
      direction: 'INGRESS',
      priority: m.priority,
      targetTags: m.targetTags,
      targetServiceAccounts: m.targetServiceAccounts ?? [],
    };
  }
  if (m.kind === 'patchFirewall' || m.kind === 'deleteFirewall')
    return rules.find((r) => r.name === m.firewall);
  return undefined;
}

/**
 * The backend services a change reaches without looking at the topology: a new health check reaches
 * none until a service is pointed at it, a change to a backend service reaches that service. Undefined
 * for the kinds whose reach the topology decides.
 */
function directReach(m: Mutation): string[] | undefined {
  if (m.kind === 'insertHealthCheck') return [];
  if (m.kind === 'setBackendServiceHealthCheck' || m.kind === 'patchBackendService')
    return [m.backendService];
  return undefined;
}

/** What a step reaches through the topology, and how. */
function reachOf(
  step: { apply: Mutation; inverse: Mutation },
  topo: TopologyFacts,
  rules: FirewallRule[],
): { users: string[]; via: (others: string[]) => string; instances?: number } {
  const m = step.apply;
  switch (m.kind) {
    case 'patchHealthCheck':
    case 'deleteHealthCheck':
      return {
        users: healthCheckUsers(topo, m.healthCheck, m.kind === 'patchHealthCheck' ? m.region : undefined),
        via: (o) => `health check ${m.healthCheck} is also used by ${list(o)}`,
      };
    case 'setNamedPorts': {
      const before = step.inverse.kind === 'setNamedPorts' ? step.inverse.namedPorts : [];
      const names = changedPortNames(before, m.namedPorts);
      return {
        users: portNameUsers(topo, { name: m.instanceGroup, zone: m.zone }, names),
        via: (o) =>
          `named port ${list(names)} of instance group ${m.instanceGroup} is also used by ${list(o)}`,
      };
    }
    case 'insertFirewall':
    case 'patchFirewall':
    case 'deleteFirewall': {
      const rule = ruleOf(m, rules);
      if (!rule) return { users: [], via: () => `firewall ${m.firewall} could not be read` };
      const reach = ruleReach(topo, rule);
      return {
        users: reach.backendServices,
        instances: reach.instances.length,
        via: (o) =>
          `firewall ${m.firewall} applies to ${reach.instances.length} instance(s) of network ${networkName(
            rule.network,
          )}, which also serve ${list(o)}`,
      };
    }
    case 'insertHealthCheck':
    case 'setBackendServiceHealthCheck':
    case 'patchBackendService':
      return { users: directReach(m) ?? [], via: (o) => `the change is to backend service ${list(o)}` };
  }
}

/**
 * What `step` reaches besides `target` (a regional target names its region: the same name may be a
 * global backend service too).
 */
export function stepImpact(
  step: { apply: Mutation; inverse: Mutation },
  target: { backendService: string; region?: string | undefined },
  topology: Source<TopologyFacts>,
  rules: FirewallRule[],
): StepImpact {
  const only = `nothing beyond ${target.backendService}`;
  // The kinds that change a backend service change the target's (the mutation names it, not its scope).
  const direct = directReach(step.apply)?.filter((b) => b !== target.backendService);
  if (direct) {
    const via = direct.length > 0 ? `the change is to backend service ${list(direct)}` : only;
    return { backendServices: direct, via, complete: true };
  }
  if (!topology.ok) {
    return {
      backendServices: [],
      via: `unknown: the project's topology could not be read (${topology.error})`,
      complete: false,
    };
  }
  const reach = reachOf(step, topology.value, rules);
  const self = backendServiceKey({ name: target.backendService, region: target.region });
  const others = reach.users.filter((b) => b !== self);
  const cut = topology.value.truncated;
  return {
    backendServices: others,
    via: [others.length > 0 ? reach.via(others) : only, ...cut.map((c) => `read only ${c}`)].join('; '),
    ...(reach.instances !== undefined ? { instances: reach.instances } : {}),
    complete: cut.length === 0,
  };
}

/** Within the limit, or what the policy says a step that reaches further does. */
export function impactVerdict(impact: StepImpact, limit: ImpactLimit): 'within' | ImpactLimit['beyond'] {
  const within = impact.complete && impact.backendServices.length <= limit.otherBackendServices;
  return within ? 'within' : limit.beyond;
}

/** One line for the plan: `also affects: api-bs (health check web-hc is also used by api-bs)`. */
export function impactText(impact: StepImpact): string {
  if (impact.backendServices.length === 0) return impact.via;
  return `${list(impact.backendServices)} (${impact.via})`;
}

/** An instance the dedicated firewall rule must reach. */
export interface TargetInstance {
  name: string;
  zone: string;
  tags: string[];
  serviceAccounts: string[];
}

/**
 * The narrowest targets for a rule that must reach `needed` on `network`: target tags when every
 * instance has one, or service accounts when every instance has one, whichever reaches fewer other
 * instances (tags on a tie; a rule cannot mix them). Greedy: each pick covers the most instances not
 * yet covered, then reaches the fewest others. A problem in words when no narrow target exists.
 */
export function narrowestTargets(
  needed: TargetInstance[],
  network: string,
  topology: TopologyFacts | undefined,
): { targetTags: string[] } | { targetServiceAccounts: string[] } | { problem: string } {
  const inNetwork = (topology?.instances ?? []).filter(
    (i) => networkName(i.network) === networkName(network),
  );
  const neededKeys = new Set(needed.map((i) => `${i.zone}/${i.name}`));
  const cover = (valuesOf: (i: TargetInstance) => string[]) => {
    if (needed.some((i) => valuesOf(i).length === 0)) return undefined;
    const chosen: string[] = [];
    let left = needed;
    while (left.length > 0) {
      const candidates = [...new Set(left.flatMap(valuesOf))].map((v) => ({
        v,
        covers: left.filter((i) => valuesOf(i).includes(v)).length,
        extra: inNetwork.filter((i) => !neededKeys.has(`${i.zone}/${i.name}`) && valuesOf(i).includes(v))
          .length,
      }));
      candidates.sort((a, b) => b.covers - a.covers || a.extra - b.extra || a.v.localeCompare(b.v));
      const best = candidates[0];
      if (!best) break;
      chosen.push(best.v);
      left = left.filter((i) => !valuesOf(i).includes(best.v));
    }
    const extra = inNetwork.filter(
      (i) => !neededKeys.has(`${i.zone}/${i.name}`) && valuesOf(i).some((v) => chosen.includes(v)),
    ).length;
    return { chosen: chosen.sort(), extra };
  };
  const tags = cover((i) => i.tags);
  const accounts = cover((i) => i.serviceAccounts);
  if (tags && (!accounts || tags.extra <= accounts.extra)) return { targetTags: tags.chosen };
  if (accounts) return { targetServiceAccounts: accounts.chosen };
  const bare = needed.filter((i) => i.tags.length === 0 && i.serviceAccounts.length === 0).map((i) => i.name);
  return {
    problem:
      bare.length > 0
        ? `instance(s) ${list(bare)} have neither network tags nor service accounts: a rule for them would apply to every instance of network ${networkName(network)}`
        : 'the instances share neither network tags nor service accounts: one rule cannot target them all narrowly',
  };
}

function sorted(names: string[]): string[] {
  return [...new Set(names)].sort();
}
