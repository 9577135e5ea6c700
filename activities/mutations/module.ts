/**
 * What a mutation module is: everything lbmedic knows about one kind of Compute call (core/mutation.ts),
 * as one object. activities/apply.ts snapshots, applies and checks through these alone, by the table in
 * ./index.ts.
 */
import type { Mutation, MutationKind, MutationOf } from '../../core/mutation';
import type { GcpClients } from '../gcp-clients';

/** How lbmedic reads, compares, sends and inverts mutations of kind `K`. */
export interface MutationModule<K extends MutationKind> {
  /** The resource `m` targets, for messages: `firewall allow-lb-health-checks`. */
  describe(m: MutationOf<K>): string;
  /**
   * Reads the resource `m` targets and returns its current values as the mutation that would set them
   * again: a mutation of the same kind, except that a firewall rule read for inserting or deleting it
   * comes back as `insertFirewall` (deleting carries no values). `null`: the resource does not exist.
   */
  read(clients: GcpClients, project: string, m: MutationOf<K>): Promise<Mutation | null>;
  /** Does `current` (what a `read` returned) already hold what `desired` would set? */
  holds(current: Mutation | null, desired: MutationOf<K>): boolean;
  /**
   * Sends `m` with `requestId`, Compute's idempotency key, reading first where Compute wants the
   * resource's fingerprint or its whole sub-object; resolves to what the client returned (an operation).
   */
  send(clients: GcpClients, project: string, m: MutationOf<K>, requestId: string): Promise<unknown>;
  /**
   * The mutation that puts the resource back as `current` (read before `applied` was sent) found it;
   * `null` when there is nothing to restore.
   */
  inverse(current: Mutation | null, applied: MutationOf<K>): Mutation | null;
}

/** A number field as Compute returns it: int64 fields arrive as strings, int32 ones as numbers. */
export const wireNumber = (v: unknown): number | undefined =>
  typeof v === 'string' ? Number(v) : typeof v === 'number' ? v : undefined;
