/**
 * Setting an instance group's named ports (root cause 3, and the port-moved fix). `setNamedPorts`
 * replaces the whole list and needs the group's fingerprint, so the group is read just before.
 */
import type { MutationOf, NamedPort } from '../../core/mutation';
import type { GcpClients } from '../gcp-clients';
import { wireNumber, type MutationModule } from './module';

/** Named ports sorted by name, then port: Compute keeps them in no particular order. */
const normalizePorts = (
  ps: { name?: string | null; port?: number | null }[] | null | undefined,
): NamedPort[] =>
  (ps ?? [])
    .map((p) => ({ name: p.name ?? '', port: wireNumber(p.port) ?? 0 }))
    .sort((a, b) => a.name.localeCompare(b.name) || a.port - b.port);

/** The zonal or regional instance group `m` names. */
const getGroup = (clients: GcpClients, project: string, m: MutationOf<'setNamedPorts'>) =>
  m.region
    ? clients.regionInstanceGroups.get({ project, region: m.region, instanceGroup: m.instanceGroup })
    : clients.instanceGroups.get({ project, zone: m.zone, instanceGroup: m.instanceGroup });

/** Replace an instance group's named ports (zonal, or a regional managed group's). */
export const setNamedPorts: MutationModule<'setNamedPorts'> = {
  describe: (m) => `instanceGroup ${m.region ?? m.zone}/${m.instanceGroup}`,

  async read(clients, project, m) {
    const [ig] = await getGroup(clients, project, m);
    return {
      kind: 'setNamedPorts',
      instanceGroup: m.instanceGroup,
      zone: m.zone,
      ...(m.region ? { region: m.region } : {}),
      namedPorts: normalizePorts(ig.namedPorts),
    };
  },

  holds: (current, desired) =>
    current?.kind === 'setNamedPorts' &&
    JSON.stringify(normalizePorts(desired.namedPorts)) === JSON.stringify(normalizePorts(current.namedPorts)),

  async send(clients, project, m, requestId) {
    const [ig] = await getGroup(clients, project, m);
    const request = { namedPorts: m.namedPorts, fingerprint: ig.fingerprint ?? '' };
    return m.region
      ? clients.regionInstanceGroups.setNamedPorts({
          project,
          region: m.region,
          instanceGroup: m.instanceGroup,
          requestId,
          regionInstanceGroupsSetNamedPortsRequestResource: request,
        })
      : clients.instanceGroups.setNamedPorts({
          project,
          zone: m.zone,
          instanceGroup: m.instanceGroup,
          requestId,
          instanceGroupsSetNamedPortsRequestResource: request,
        });
  },

  inverse: (current) => current,
};
