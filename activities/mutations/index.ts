/**
 * The mutation modules, one per kind in core/mutation.ts. The table is typed by the union, so a kind
 * without a module (or a module for a kind that does not exist) does not compile.
 */
import type { Mutation, MutationKind, MutationOf } from '../../core/mutation';
import { deleteFirewall } from './delete-firewall';
import { deleteHealthCheck } from './delete-health-check';
import { insertFirewall } from './insert-firewall';
import { insertHealthCheck } from './insert-health-check';
import type { MutationModule } from './module';
import { patchBackendService } from './patch-backend-service';
import { patchFirewall } from './patch-firewall';
import { patchHealthCheck } from './patch-health-check';
import { setBackendServiceHealthCheck } from './set-backend-service-health-check';
import { setNamedPorts } from './set-named-ports';

export type { MutationModule } from './module';

const MODULES: { [K in MutationKind]: MutationModule<K> } = {
  patchHealthCheck,
  patchFirewall,
  insertFirewall,
  deleteFirewall,
  insertHealthCheck,
  deleteHealthCheck,
  setBackendServiceHealthCheck,
  setNamedPorts,
  patchBackendService,
};

/** The module for `m`'s kind. */
export function mutationModule<K extends MutationKind>(m: MutationOf<K>): MutationModule<K> {
  return MODULES[m.kind];
}

/** The resource a mutation targets, for messages. */
export const describeMutation = (m: Mutation): string => mutationModule(m).describe(m);
