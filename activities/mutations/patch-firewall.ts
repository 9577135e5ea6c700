/**
 * Changing the allowed protocols and ports of one of lbmedic's own firewall rules (a rule it inserted
 * earlier that no longer admits what it should). Only `allowed` is sent; Compute leaves the rule's
 * ranges and targets as they are. Any other rule is refused before anything is sent.
 */
import type { MutationModule } from './module';
import { describeRule, readRule, refuseUnlessOwned, samePermissions } from './firewall-rule';

/** Set a firewall rule's `allowed` list. */
export const patchFirewall: MutationModule<'patchFirewall'> = {
  describe: describeRule,

  async read(clients, project, m) {
    const rule = await readRule(clients, project, m.firewall);
    return rule && { kind: 'patchFirewall', firewall: m.firewall, allowed: rule.allowed };
  },

  holds: (current, desired) =>
    current !== null && 'allowed' in current && samePermissions(desired.allowed, current.allowed),

  async send(clients, project, m, requestId) {
    await refuseUnlessOwned(clients, project, m.firewall, 'patch');
    return clients.firewalls.patch({
      project,
      firewall: m.firewall,
      requestId,
      firewallResource: { allowed: m.allowed },
    });
  },

  inverse: (current) => current,
};
