/**
 * Changing the allowed protocols and ports of an existing firewall rule (the probe rule in the
 * port-moved fix). Only `allowed` is sent; Compute leaves the rule's ranges and targets as they are.
 */
import type { MutationModule } from './module';
import { describeRule, readRule, samePermissions } from './firewall-rule';

/** Set a firewall rule's `allowed` list. */
export const patchFirewall: MutationModule<'patchFirewall'> = {
  describe: describeRule,

  async read(clients, project, m) {
    const rule = await readRule(clients, project, m.firewall);
    return rule && { kind: 'patchFirewall', firewall: m.firewall, allowed: rule.allowed };
  },

  holds: (current, desired) =>
    current !== null && 'allowed' in current && samePermissions(desired.allowed, current.allowed),

  send: (clients, project, m, requestId) =>
    clients.firewalls.patch({
      project,
      firewall: m.firewall,
      requestId,
      firewallResource: { allowed: m.allowed },
    }),

  inverse: (current) => current,
};
