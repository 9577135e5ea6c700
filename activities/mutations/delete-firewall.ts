/**
 * Deleting a firewall rule: how an inserted rule is rolled back. Only lbmedic's own rules are ever
 * deleted; any other is refused before anything is sent (DESIGN: do no harm).
 */
import type { MutationModule } from './module';
import { describeRule, readRule, refuseUnlessOwned } from './firewall-rule';

/** Delete a firewall rule. */
export const deleteFirewall: MutationModule<'deleteFirewall'> = {
  describe: describeRule,

  read: (clients, project, m) => readRule(clients, project, m.firewall),

  holds: (current) => current === null,

  async send(clients, project, m, requestId) {
    await refuseUnlessOwned(clients, project, m.firewall, 'delete');
    return clients.firewalls.delete({ project, firewall: m.firewall, requestId });
  },

  // The rule as it was read, inserted again: an INGRESS allow rule with its ranges, tags and ports.
  inverse: (current) => current,
};
