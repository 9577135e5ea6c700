/**
 * The firewall policies in force on the backends' networks, read-only through
 * `networks.getEffectiveFirewalls` (hierarchical policies of the organization and folders, and the
 * network's global network firewall policy) and the network's enforcement order from `networks.get`.
 * lbmedic never edits a firewall policy: a blocking policy rule is escalated with the change to make.
 */
import type { FirewallPolicyFacts, PolicyRuleFacts } from '../core/evidence';
import { networkName } from '../core/firewall';
import type { GcpClients } from './gcp-clients';
import { num } from './wire-values';

type Rule = {
  priority?: number | null;
  action?: string | null;
  direction?: string | null;
  disabled?: boolean | null;
  match?: {
    srcIpRanges?: string[] | null;
    layer4Configs?: { ipProtocol?: string | null; ports?: string[] | null }[] | null;
  } | null;
  targetServiceAccounts?: string[] | null;
  targetResources?: string[] | null;
};

function ruleFacts(r: Rule): PolicyRuleFacts {
  return {
    priority: num(r.priority),
    action: String(r.action ?? ''),
    direction: String(r.direction ?? 'INGRESS'),
    ...(r.disabled ? { disabled: true } : {}),
    ...(r.match?.srcIpRanges?.length ? { srcIpRanges: r.match.srcIpRanges } : {}),
    layer4Configs: (r.match?.layer4Configs ?? []).map((l) => ({
      ipProtocol: l.ipProtocol ?? '',
      ...(l.ports?.length ? { ports: l.ports } : {}),
    })),
    ...(r.targetServiceAccounts?.length ? { targetServiceAccounts: r.targetServiceAccounts } : {}),
    ...(r.targetResources?.length ? { targetResources: r.targetResources } : {}),
  };
}

/** The policies of each network (names or URLs), in evaluation order. */
export async function readFirewallPolicies(
  clients: Pick<GcpClients, 'networks'>,
  t: { project: string; networks: string[] },
): Promise<FirewallPolicyFacts[]> {
  const out: FirewallPolicyFacts[] = [];
  for (const network of [...new Set(t.networks.map(networkName))].sort()) {
    const [net] = await clients.networks.get({ project: t.project, network });
    const [effective] = await clients.networks.getEffectiveFirewalls({ project: t.project, network });
    const policies = (effective.firewallPolicys ?? []).map((p) => ({
      name: p.shortName || p.displayName || p.name || '',
      type: String(p.type) === 'HIERARCHY' ? ('HIERARCHY' as const) : ('NETWORK' as const),
      rules: (p.rules ?? []).map((r) => ruleFacts(r)),
    }));
    out.push({
      network,
      enforcementOrder: String(net.networkFirewallPolicyEnforcementOrder ?? 'AFTER_CLASSIC_FIREWALL'),
      // Hierarchical policies first, in the order listed (the organization's first), then the network's.
      policies: [
        ...policies.filter((p) => p.type === 'HIERARCHY'),
        ...policies.filter((p) => p.type === 'NETWORK'),
      ],
    });
  }
  return out;
}
