/**
 * What the firewall kinds share: reading a rule, comparing permissions, and refusing to touch a rule
 * lbmedic does not own. Compute returns a rule's protocols, ports and ranges in whatever order it
 * stored them, so both sides are normalised before they are compared.
 */
import { ApplicationFailure } from '@temporalio/common';
import { patchRefusal, type FirewallPermission } from '../../core/firewall';
import { FAILURE_TYPES } from '../../core/model';
import type { MutationOf } from '../../core/mutation';
import type { GcpClients } from '../gcp-clients';
import { GoogleApiError } from '../google-errors';
import { wireNumber } from './module';

type WirePermission = { IPProtocol?: string | null; ports?: string[] | null };

/** Permissions with lower-case protocols and sorted ports, in a stable order. */
export function normalizePermissions(perms: WirePermission[] | null | undefined): FirewallPermission[] {
  return (perms ?? [])
    .map((p) => ({ IPProtocol: (p.IPProtocol ?? '').toLowerCase(), ports: [...(p.ports ?? [])].sort() }))
    .sort((a, b) => `${a.IPProtocol}${a.ports.join()}`.localeCompare(`${b.IPProtocol}${b.ports.join()}`));
}

/** Do two permission lists allow the same traffic, whatever their order and case? */
export const samePermissions = (a: WirePermission[], b: WirePermission[]): boolean =>
  JSON.stringify(normalizePermissions(a)) === JSON.stringify(normalizePermissions(b));

/** Do two lists hold the same strings, whatever their order? */
export const sameSet = (a: string[], b: string[]): boolean =>
  JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());

/** The resource a firewall mutation targets, for messages. */
export const describeRule = (m: { firewall: string }): string => `firewall ${m.firewall}`;

/** The rule `firewall` as the `insertFirewall` that would create it again; `null` when it does not exist. */
export async function readRule(
  clients: Pick<GcpClients, 'firewalls'>,
  project: string,
  firewall: string,
): Promise<MutationOf<'insertFirewall'> | null> {
  try {
    const [fw] = await clients.firewalls.get({ project, firewall });
    const accounts = [...(fw.targetServiceAccounts ?? [])].sort();
    return {
      kind: 'insertFirewall',
      firewall,
      network: fw.network ?? '',
      priority: wireNumber(fw.priority) ?? 1000,
      sourceRanges: [...(fw.sourceRanges ?? [])].sort(),
      targetTags: [...(fw.targetTags ?? [])].sort(),
      ...(accounts.length > 0 ? { targetServiceAccounts: accounts } : {}),
      allowed: normalizePermissions(fw.allowed),
      description: fw.description ?? '',
    };
  } catch (err) {
    if (err instanceof GoogleApiError && err.status === 404) return null;
    throw err;
  }
}

/**
 * Reads `firewall` just before a patch or delete and refuses (non-retryable) unless it is lbmedic's
 * own narrow rule: the last line of "never widen, never borrow", whatever a plan says
 * (core/firewall.ts `patchRefusal`). A rule that no longer exists is left to Compute's 404.
 */
export async function refuseUnlessOwned(
  clients: Pick<GcpClients, 'firewalls'>,
  project: string,
  firewall: string,
  change: string,
): Promise<void> {
  let fw;
  try {
    [fw] = await clients.firewalls.get({ project, firewall });
  } catch (err) {
    if (err instanceof GoogleApiError && err.status === 404) return;
    throw err;
  }
  const refusal = patchRefusal({
    name: firewall,
    network: fw.network ?? '',
    direction: String(fw.direction ?? 'INGRESS'),
    priority: wireNumber(fw.priority) ?? 1000,
    sourceRanges: fw.sourceRanges ?? [],
    sourceTags: fw.sourceTags ?? [],
    sourceServiceAccounts: fw.sourceServiceAccounts ?? [],
    targetTags: fw.targetTags ?? [],
    targetServiceAccounts: fw.targetServiceAccounts ?? [],
    ...(fw.description ? { description: fw.description } : {}),
  });
  if (refusal) {
    throw ApplicationFailure.create({
      type: FAILURE_TYPES.refused,
      nonRetryable: true,
      message: `lbmedic will not ${change} firewall ${firewall}: ${refusal}`,
    });
  }
}
