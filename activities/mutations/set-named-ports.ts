/**
 * Setting an instance group's named ports (root cause 3, and the port-moved fix). `setNamedPorts`
 * replaces the whole list and needs the group's fingerprint, so the group is read just before.
 */
import type { NamedPort } from '../../core/mutation';
import { wireNumber, type MutationModule } from './module';

/** Named ports sorted by name, then port: Compute keeps them in no particular order. */
const normalizePorts = (
  ps: { name?: string | null; port?: number | null }[] | null | undefined,
): NamedPort[] =>
  (ps ?? [])
    .map((p) => ({ name: p.name ?? '', port: wireNumber(p.port) ?? 0 }))
    .sort((a, b) => a.name.localeCompare(b.name) || a.port - b.port);

/** Replace an instance group's named ports. */
export const setNamedPorts: MutationModule<'setNamedPorts'> = {
  describe: (m) => `instanceGroup ${m.zone}/${m.instanceGroup}`,

  async read(clients, project, m) {
    const [ig] = await clients.instanceGroups.get({ project, zone: m.zone, instanceGroup: m.instanceGroup });
    return {
      kind: 'setNamedPorts',
      instanceGroup: m.instanceGroup,
      zone: m.zone,
      namedPorts: normalizePorts(ig.namedPorts),
    };
  },

  holds: (current, desired) =>
    current?.kind === 'setNamedPorts' &&
    JSON.stringify(normalizePorts(desired.namedPorts)) === JSON.stringify(normalizePorts(current.namedPorts)),

  async send(clients, project, m, requestId) {
    const [ig] = await clients.instanceGroups.get({ project, zone: m.zone, instanceGroup: m.instanceGroup });
    return clients.instanceGroups.setNamedPorts({
      project,
      zone: m.zone,
      instanceGroup: m.instanceGroup,
      requestId,
      instanceGroupsSetNamedPortsRequestResource: {
        namedPorts: m.namedPorts,
        fingerprint: ig.fingerprint ?? '',
      },
    });
  },

  inverse: (current) => current,
};
