/**
 * lbmedic's scope: the projects, backend services and networks it may act on, as the operator
 * configured them (runtime/config.ts parses them from the environment). Pure: the receiver checks an
 * alert's target before it starts anything, and the remediation's decision checks it again, with the
 * network the diagnosis read, before anything changes (docs/safety.md, "Scope").
 */
import type { Evidence } from './evidence';
import { globMatch } from './glob';

export interface Scope {
  /** Project ids (or globs: `acme-prod-*`) lbmedic may act on; none means nothing is in scope. */
  projects: string[];
  /** Name globs (`*`, `?`): `include` empty means every backend service; `exclude` wins over `include`. */
  backendServices: { include: string[]; exclude: string[] };
  /** VPC network names the backends must be on; empty means any network. */
  networks: string[];
}

/** What an alert or a run is about, as far as it is known. */
export interface ScopeTarget {
  project: string;
  backendService?: string;
  network?: string;
}

/** The last segment of a resource URL (`.../global/networks/default` → `default`), or the name itself. */
const lastSegment = (s: string) => s.slice(s.lastIndexOf('/') + 1);

/** Why `target` is outside `scope`, in words for people; undefined when it is inside. */
export function scopeProblem(scope: Scope, target: ScopeTarget): string | undefined {
  if (!scope.projects.some((g) => globMatch(g, target.project))) {
    return `project ${target.project} is not in lbmedic's scope (${describeProjects(scope)})`;
  }
  const bs = target.backendService;
  if (bs !== undefined) {
    const { include, exclude } = scope.backendServices;
    const excludedBy = exclude.find((g) => globMatch(g, bs));
    if (excludedBy) return `backend service ${bs} is excluded from lbmedic's scope (${excludedBy})`;
    if (include.length > 0 && !include.some((g) => globMatch(g, bs))) {
      return `backend service ${bs} is not in lbmedic's scope (backend services ${include.join(', ')})`;
    }
  }
  const network = target.network === undefined ? undefined : lastSegment(target.network);
  if (network !== undefined && scope.networks.length > 0 && !scope.networks.includes(network)) {
    return `network ${network} is not in lbmedic's scope (networks ${scope.networks.join(', ')})`;
  }
  return undefined;
}

/** What the scope is checked on once the diagnosis has read the backend service. */
export interface ScopeFacts {
  project: string;
  backendService: string;
  /** Every network the backend service's instance groups are on. */
  networks: string[];
  /** Why the networks are not known, when they are not. */
  networksUnknown?: string;
}

/** The scope facts of a diagnosis: the instance groups' networks, or why they are unknown. */
export function scopeFactsOf(ev: Evidence): ScopeFacts {
  const base = { project: ev.project, backendService: ev.backendService };
  const backends = ev.backend.ok ? ev.backend.value.backends : [];
  if (backends.some((b) => b.kind === 'neg')) {
    return {
      ...base,
      networks: [],
      networksUnknown: 'it has NEG backends, whose network lbmedic does not read',
    };
  }
  if (!ev.instanceGroups.ok) {
    return {
      ...base,
      networks: [],
      networksUnknown: `its instance groups could not be read (${ev.instanceGroups.error})`,
    };
  }
  return {
    ...base,
    networks: [...new Set(ev.instanceGroups.value.map((g) => lastSegment(g.network)))].sort(),
  };
}

/**
 * The scope check of a run, on what the diagnosis read: the project, the backend service and every
 * network its instance groups are on. With networks in the scope, a backend service whose network
 * is unknown is outside it: lbmedic acts only where it can tell it may.
 */
export function scopeProblemOfFacts(scope: Scope, facts: ScopeFacts): string | undefined {
  const target = { project: facts.project, backendService: facts.backendService };
  const outside = scopeProblem(scope, target);
  if (outside || scope.networks.length === 0) return outside;
  if (facts.networksUnknown !== undefined) {
    return `the network of backend service ${facts.backendService} is unknown (${facts.networksUnknown}), and the scope names networks (${scope.networks.join(', ')})`;
  }
  for (const network of facts.networks) {
    const problem = scopeProblem(scope, { ...target, network });
    if (problem) return problem;
  }
  return undefined;
}

function describeProjects(scope: Scope): string {
  return scope.projects.length > 0 ? `projects ${scope.projects.join(', ')}` : 'no project';
}

/** The scope in one line, as the worker, the receiver and `lbmedic up` print it at start. */
export function describeScope(scope: Scope): string {
  const { include, exclude } = scope.backendServices;
  const services = `${include.length > 0 ? include.join(', ') : 'all'}${
    exclude.length > 0 ? ` except ${exclude.join(', ')}` : ''
  }`;
  const networks = scope.networks.length > 0 ? scope.networks.join(', ') : 'any';
  return `${describeProjects(scope)}; backend services ${services}; networks ${networks}`;
}

/** A scope of exactly these projects, every backend service and network in them. */
export function scopeOfProjects(projects: string[]): Scope {
  return { projects: [...projects], backendServices: { include: [], exclude: [] }, networks: [] };
}
