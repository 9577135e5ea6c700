/**
 * Deleting a firewall rule: how an inserted rule is rolled back. No plan deletes a rule it did not
 * create (DESIGN: do no harm).
 */
import type { MutationModule } from './module';
import { describeRule, readRule } from './firewall-rule';

/** Delete a firewall rule. */
export const deleteFirewall: MutationModule<'deleteFirewall'> = {
  describe: describeRule,

  read: (clients, project, m) => readRule(clients, project, m.firewall),

  holds: (current) => current === null,

  send: (clients, project, m, requestId) =>
    clients.firewalls.delete({ project, firewall: m.firewall, requestId }),

  // The rule as it was read, inserted again: an INGRESS allow rule with its ranges, tags and ports.
  inverse: (current) => current,
};
