/**
 * Creating lbmedic's own INGRESS rule that lets Google's probe ranges in (root cause 2). The rule's name
 * is derived from the network, port and targets (core/causes/firewall-blocks-probes.ts), so a retried
 * insert finds its own rule.
 */
import type { MutationModule } from './module';
import { describeRule, readRule, samePermissions, sameSet } from './firewall-rule';

/** Insert an INGRESS allow rule. */
export const insertFirewall: MutationModule<'insertFirewall'> = {
  describe: describeRule,

  read: (clients, project, m) => readRule(clients, project, m.firewall),

  holds: (current, desired) =>
    current?.kind === 'insertFirewall' &&
    samePermissions(desired.allowed, current.allowed) &&
    sameSet(desired.sourceRanges, current.sourceRanges) &&
    sameSet(desired.targetTags, current.targetTags) &&
    sameSet(desired.targetServiceAccounts ?? [], current.targetServiceAccounts ?? []),

  send: (clients, project, m, requestId) =>
    clients.firewalls.insert({
      project,
      requestId,
      firewallResource: {
        name: m.firewall,
        network: m.network,
        direction: 'INGRESS',
        priority: m.priority,
        sourceRanges: m.sourceRanges,
        targetTags: m.targetTags,
        ...(m.targetServiceAccounts?.length ? { targetServiceAccounts: m.targetServiceAccounts } : {}),
        allowed: m.allowed,
        description: m.description,
      },
    }),

  // The rule did not exist before (the plan's inverse, deleting it, held when it was snapshot).
  inverse: (_current, applied) => ({ kind: 'deleteFirewall', firewall: applied.firewall }),
};
