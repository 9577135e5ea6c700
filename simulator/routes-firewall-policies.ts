/**
 * Compute routes for VPC networks and global network firewall policies:
 * - `networks` get, list and `getEffectiveFirewalls` (the network's VPC firewall rules, its network
 *   firewall policy and the hierarchical policies above the project, in evaluation order);
 * - `networkFirewallPolicies` (`/global/firewallPolicies`) get, list, getRule, getAssociation, and
 *   addRule, patchRule, removeRule: each an operation that changes the policy at DONE.
 * Hierarchical policies belong to the organization: they are visible only through
 * getEffectiveFirewalls and nothing here changes them.
 */
import { bool, fieldError, int, oneOf, str, strings } from './compute-mutations';
import { firewallJson } from './compute-wire';
import { invalid, notFound } from './errors';
import type { FirewallPolicy, PolicyRule } from './firewall-policy';
import {
  DEFAULT_RULE_PRIORITIES,
  associationJson,
  effectivePolicyJson,
  networkJson,
  networkPolicyJson,
  policyFingerprint,
  policyOfNetwork,
  policyRuleJson,
} from './firewall-policy';
import { isCidr, isIPv6Cidr } from './ip';
import type { Project } from './model';
import { COMPUTE_BASE } from './model';
import type { OperationJson } from './operations';
import type { Route, RouteContext } from './router';
import { bodyObject, isRecord, param } from './router';
import { currentProject, listAnswer, projectOf, startOperation } from './routes-compute';
import { networkLink, sameResource } from './urls';

const P = '/compute/v1/projects/:project';
const PRIORITY_MAX = 2147483647;
const ACTIONS = ['allow', 'deny', 'goto_next'] as const;
const PORT_PROTOCOLS = ['tcp', 'udp', 'sctp', '6', '17', '132'];

function networkOf(ctx: RouteContext, project: Project) {
  const name = param(ctx, 'name');
  const network = project.networks.get(name);
  if (!network) throw notFound(`projects/${project.projectId}/global/networks/${name}`);
  return network;
}

function policyOf(ctx: RouteContext, project: Project): FirewallPolicy {
  const name = param(ctx, 'name');
  const policy = project.firewallPolicies.get(name);
  if (!policy) throw notFound(`projects/${project.projectId}/global/firewallPolicies/${name}`);
  return policy;
}

function byName<T extends { name: string }>(items: Iterable<T>): T[] {
  return [...items].sort((a, b) => a.name.localeCompare(b.name));
}

function getEffectiveFirewalls(ctx: RouteContext): Record<string, unknown> {
  const project = projectOf(ctx);
  const network = networkOf(ctx, project);
  const link = networkLink(project.projectId, network.name);
  const policy = policyOfNetwork(project.firewallPolicies.values(), project.projectId, network.name);
  return {
    firewalls: byName(project.firewalls.values())
      .filter((fw) => sameResource(fw.network, link))
      .map((fw) => firewallJson(project.projectId, fw)),
    firewallPolicys: [
      ...[...project.hierarchicalFirewallPolicies.values()].map((p) => effectivePolicyJson(p, 'HIERARCHY')),
      ...(policy ? [effectivePolicyJson(policy, 'NETWORK')] : []),
    ],
  };
}

// -------------------------------------------------------------------------------------- rules

function priorityParam(ctx: RouteContext): number {
  const raw = ctx.query.get('priority');
  if (raw === null) throw invalid("Required field 'priority' not specified");
  return int('priority', raw, 0, PRIORITY_MAX);
}

function ruleAt(policy: FirewallPolicy, priority: number): PolicyRule {
  const rule = policy.rules.find((r) => r.priority === priority);
  // GCP's wording, as recorded in k8s-config-connector's mockgcp.
  if (!rule) {
    throw invalid(
      `Invalid value for field 'priority': '${priority}'. The firewall policy does not contain a rule at priority ${priority}.`,
    );
  }
  return rule;
}

function ranges(field: string, value: unknown): string[] {
  return strings(field, value, isCidr, 'Must be an IPv4 or IPv6 CIDR range.');
}

/** A rule from a request body, over `base` (patchRule) or from nothing (addRule). */
function parseRule(body: Record<string, unknown>, base: PolicyRule | undefined): PolicyRule {
  const match = body['match'] === undefined ? undefined : body['match'];
  if (match !== undefined && !isRecord(match)) throw fieldError('match', match, 'Must be an object.');
  const direction =
    body['direction'] === undefined
      ? (base?.direction ?? 'INGRESS')
      : oneOf('direction', body['direction'], ['INGRESS', 'EGRESS'] as const);
  const action = body['action'] ?? base?.action;
  if (action === undefined) throw invalid("Required field 'action' not specified");
  const l4 = match?.['layer4Configs'];
  const layer4Configs =
    l4 === undefined
      ? (base?.match.layer4Configs ?? [])
      : (Array.isArray(l4) ? l4 : []).map((raw: unknown, i) => {
          if (!isRecord(raw)) throw fieldError(`match.layer4Configs[${i}]`, raw, 'Must be an object.');
          const ipProtocol = str(`match.layer4Configs[${i}].ipProtocol`, raw['ipProtocol']).toLowerCase();
          const ports =
            raw['ports'] === undefined ? undefined : strings(`match.layer4Configs[${i}].ports`, raw['ports']);
          if (ports?.length && !PORT_PROTOCOLS.includes(ipProtocol)) {
            throw fieldError(
              `match.layer4Configs[${i}].ports`,
              ports,
              'Ports can only be specified for tcp, udp and sctp.',
            );
          }
          return { ipProtocol, ...(ports ? { ports } : {}) };
        });
  if (layer4Configs.length === 0) throw invalid("Required field 'match.layer4Configs' not specified");
  const src =
    match?.['srcIpRanges'] === undefined
      ? base?.match.srcIpRanges
      : ranges('match.srcIpRanges', match['srcIpRanges']);
  const dest =
    match?.['destIpRanges'] === undefined
      ? base?.match.destIpRanges
      : ranges('match.destIpRanges', match['destIpRanges']);
  const all = [...(src ?? []), ...(dest ?? [])];
  if (all.some(isIPv6Cidr) && !all.every(isIPv6Cidr)) {
    throw invalid(
      "Invalid value for field 'resource.match': a rule can contain either IPv4 or IPv6 ranges, but not both.",
    );
  }
  if (direction === 'INGRESS' && (src ?? []).length === 0)
    throw invalid("Required field 'match.srcIpRanges' not specified");
  const accounts =
    body['targetServiceAccounts'] === undefined
      ? base?.targetServiceAccounts
      : strings('targetServiceAccounts', body['targetServiceAccounts']);
  if (body['targetResources'] !== undefined || body['targetSecureTags'] !== undefined) {
    throw invalid(
      'The simulator models network firewall policy rules that target every instance or service accounts only.',
    );
  }
  const description =
    body['description'] === undefined ? (base?.description ?? '') : str('description', body['description']);
  const ruleName = body['ruleName'] === undefined ? base?.ruleName : str('ruleName', body['ruleName']);
  return {
    priority: base?.priority ?? int('priority', body['priority'], 0, PRIORITY_MAX),
    action: oneOf('action', action, ACTIONS),
    direction,
    description,
    ...(ruleName === undefined ? {} : { ruleName }),
    disabled: body['disabled'] === undefined ? (base?.disabled ?? false) : bool('disabled', body['disabled']),
    enableLogging:
      body['enableLogging'] === undefined
        ? (base?.enableLogging ?? false)
        : bool('enableLogging', body['enableLogging']),
    match: { ...(src ? { srcIpRanges: src } : {}), ...(dest ? { destIpRanges: dest } : {}), layer4Configs },
    ...(accounts ? { targetServiceAccounts: accounts } : {}),
  };
}

/** Changes a policy's rules through an operation; the policy gets a new fingerprint at DONE. */
function changeRules(
  ctx: RouteContext,
  operationType: string,
  change: (rules: PolicyRule[]) => PolicyRule[],
): OperationJson {
  const project = projectOf(ctx);
  const policy = policyOf(ctx, project);
  const path = `projects/${project.projectId}/global/firewallPolicies/${policy.name}`;
  change(policy.rules); // validates against the rules as they are now
  return startOperation(
    ctx,
    project,
    {},
    operationType,
    { link: `${COMPUTE_BASE}/${path}`, id: policy.id },
    () => {
      const current = currentProject(ctx, project.projectId).firewallPolicies.get(policy.name);
      if (!current) throw notFound(path);
      current.rules = change(current.rules);
      current.fingerprint = policyFingerprint(current);
    },
  );
}

function addRule(ctx: RouteContext): OperationJson {
  const body = bodyObject(ctx);
  if (body['priority'] === undefined) throw invalid("Required field 'priority' not specified");
  const rule = parseRule(body, undefined);
  return changeRules(ctx, 'addFirewallRuleToFirewallPolicy', (rules) => {
    if (rules.some((r) => r.priority === rule.priority)) {
      throw invalid(
        `Invalid value for field 'priority': '${rule.priority}'. A rule with this priority already exists.`,
      );
    }
    return [...rules, rule];
  });
}

function patchRule(ctx: RouteContext): OperationJson {
  const priority = priorityParam(ctx);
  const body = bodyObject(ctx);
  return changeRules(ctx, 'patchFirewallRuleInFirewallPolicy', (rules) => {
    const next = parseRule(body, ruleAt({ rules } as FirewallPolicy, priority));
    return rules.map((r) => (r.priority === priority ? next : r));
  });
}

function removeRule(ctx: RouteContext): OperationJson {
  const priority = priorityParam(ctx);
  return changeRules(ctx, 'removeFirewallRuleFromFirewallPolicy', (rules) => {
    ruleAt({ rules } as FirewallPolicy, priority);
    if ((DEFAULT_RULE_PRIORITIES as readonly number[]).includes(priority)) {
      throw invalid(
        `Invalid value for field 'priority': '${priority}'. The default rules cannot be removed.`,
      );
    }
    return rules.filter((r) => r.priority !== priority);
  });
}

// ------------------------------------------------------------------------------------- routes

export const firewallPolicyRoutes: Route[] = [
  {
    method: 'GET',
    template: `${P}/global/networks`,
    handler: (ctx) => {
      const project = projectOf(ctx);
      const items = byName(project.networks.values()).map((n) =>
        networkJson(
          project.projectId,
          n,
          policyOfNetwork(project.firewallPolicies.values(), project.projectId, n.name),
        ),
      );
      return listAnswer(ctx, 'compute#networkList', 'global/networks', items);
    },
  },
  {
    method: 'GET',
    template: `${P}/global/networks/:name`,
    handler: (ctx) => {
      const project = projectOf(ctx);
      const network = networkOf(ctx, project);
      const policy = policyOfNetwork(project.firewallPolicies.values(), project.projectId, network.name);
      return networkJson(project.projectId, network, policy);
    },
  },
  {
    method: 'GET',
    template: `${P}/global/networks/:name/getEffectiveFirewalls`,
    handler: getEffectiveFirewalls,
  },
  {
    method: 'GET',
    template: `${P}/global/firewallPolicies`,
    handler: (ctx) => {
      const project = projectOf(ctx);
      const items = byName(project.firewallPolicies.values()).map((p) =>
        networkPolicyJson(project.projectId, p),
      );
      // FirewallPolicyList has no selfLink (discovery document), unlike other lists.
      const { selfLink: _omitted, ...answer } = listAnswer(
        ctx,
        'compute#firewallPolicyList',
        'global/firewallPolicies',
        items,
      );
      return answer;
    },
  },
  {
    method: 'GET',
    template: `${P}/global/firewallPolicies/:name`,
    handler: (ctx) => {
      const project = projectOf(ctx);
      return networkPolicyJson(project.projectId, policyOf(ctx, project));
    },
  },
  {
    method: 'GET',
    template: `${P}/global/firewallPolicies/:name/getRule`,
    handler: (ctx) => policyRuleJson(ruleAt(policyOf(ctx, projectOf(ctx)), priorityParam(ctx))),
  },
  {
    method: 'GET',
    template: `${P}/global/firewallPolicies/:name/getAssociation`,
    handler: (ctx) => {
      const policy = policyOf(ctx, projectOf(ctx));
      const name = ctx.query.get('name');
      const association = policy.associations.find((a) => a.name === name);
      if (!association) {
        throw invalid(
          `Invalid value for field 'name': '${name ?? ''}'. The firewall policy has no association of that name.`,
        );
      }
      return associationJson(policy, association);
    },
  },
  { method: 'POST', template: `${P}/global/firewallPolicies/:name/addRule`, handler: addRule },
  { method: 'POST', template: `${P}/global/firewallPolicies/:name/patchRule`, handler: patchRule },
  { method: 'POST', template: `${P}/global/firewallPolicies/:name/removeRule`, handler: removeRule },
];
