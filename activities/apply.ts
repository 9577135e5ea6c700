/**
 * Mutations: snapshot, apply and restore plan steps through the real compute client.
 *
 * Every mutation reads the resource first. If it already holds the wanted values it is not sent again
 * (a retried activity after a worker crash finds its own earlier change). Otherwise it is sent with
 * the workflow's `requestId`, Compute's idempotency key, so a request that reached Google before the
 * crash is not applied twice; then the operation is waited for, heartbeating.
 */
import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { FirewallPermission } from '../core/firewall';
import { FAILURE_TYPES } from '../core/model';
import type { Mutation, NamedPort } from '../core/mutation';
import type { PlanStep } from '../core/plan';
import type { GcpClients } from './gcp-clients';
import { GoogleApiError } from './google-errors';
import { isDone, operationOf, waitForOperation } from './operations';

type Clients = Pick<
  GcpClients,
  | 'healthChecks'
  | 'firewalls'
  | 'instanceGroups'
  | 'backendServices'
  | 'globalOperations'
  | 'zoneOperations'
  | 'regionOperations'
>;

const num = (v: unknown) => (typeof v === 'string' ? Number(v) : typeof v === 'number' ? v : undefined);

function normPerms(
  perms: { IPProtocol?: string | null; ports?: string[] | null }[] | null | undefined,
): FirewallPermission[] {
  return (perms ?? [])
    .map((p) => ({ IPProtocol: (p.IPProtocol ?? '').toLowerCase(), ports: [...(p.ports ?? [])].sort() }))
    .sort((a, b) => `${a.IPProtocol}${a.ports.join()}`.localeCompare(`${b.IPProtocol}${b.ports.join()}`));
}

const normPorts = (ps: { name?: string | null; port?: number | null }[] | null | undefined): NamedPort[] =>
  (ps ?? [])
    .map((p) => ({ name: p.name ?? '', port: num(p.port) ?? 0 }))
    .sort((a, b) => a.name.localeCompare(b.name) || a.port - b.port);

/** `HTTP` → `httpHealthCheck`: where a health check keeps its port and path on the wire. */
const detailKey = (type: string) =>
  `${type.toLowerCase()}HealthCheck` as
    'httpHealthCheck' | 'httpsHealthCheck' | 'http2HealthCheck' | 'tcpHealthCheck' | 'sslHealthCheck';

const isNotFound = (err: unknown) => err instanceof GoogleApiError && err.status === 404;

/** A UUID derived from the workflow's requestId and the attempt: stable for that attempt, new per attempt. */
export function requestIdFor(base: string, attempt: number): string {
  const h = createHash('sha256').update(`${base}/${attempt}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The resource a mutation targets, for messages. */
export function describeMutation(m: Mutation): string {
  switch (m.kind) {
    case 'patchHealthCheck':
      return `healthCheck ${m.healthCheck}`;
    case 'patchFirewall':
    case 'insertFirewall':
    case 'deleteFirewall':
      return `firewall ${m.firewall}`;
    case 'setNamedPorts':
      return `instanceGroup ${m.zone}/${m.instanceGroup}`;
    case 'patchBackendService':
      return `backendService ${m.backendService}`;
  }
}

export function createApplyActivities(clients: Clients) {
  /**
   * Reads the resource `m` targets and returns a mutation of the same kind holding its current values
   * (`null`: the resource does not exist).
   */
  async function current(project: string, m: Mutation): Promise<Mutation | null> {
    switch (m.kind) {
      case 'patchHealthCheck': {
        const [hc] = await clients.healthChecks.get({ project, healthCheck: m.healthCheck });
        const d = (hc[detailKey(m.type)] ?? {}) as {
          port?: number | null;
          requestPath?: string | null;
          portSpecification?: unknown;
        };
        return {
          kind: 'patchHealthCheck',
          healthCheck: m.healthCheck,
          type: m.type,
          ...(d.port != null ? { port: d.port } : {}),
          ...(d.requestPath != null ? { requestPath: d.requestPath } : {}),
          ...(d.portSpecification != null ? { portSpecification: String(d.portSpecification) } : {}),
        };
      }
      case 'patchFirewall':
      case 'insertFirewall':
      case 'deleteFirewall': {
        try {
          const [fw] = await clients.firewalls.get({ project, firewall: m.firewall });
          if (m.kind === 'patchFirewall')
            return { kind: 'patchFirewall', firewall: m.firewall, allowed: normPerms(fw.allowed) };
          return {
            kind: 'insertFirewall',
            firewall: m.firewall,
            network: fw.network ?? '',
            priority: num(fw.priority) ?? 1000,
            sourceRanges: [...(fw.sourceRanges ?? [])].sort(),
            targetTags: [...(fw.targetTags ?? [])].sort(),
            allowed: normPerms(fw.allowed),
            description: fw.description ?? '',
          };
        } catch (err) {
          if (isNotFound(err)) return null;
          throw err;
        }
      }
      case 'setNamedPorts': {
        const [ig] = await clients.instanceGroups.get({
          project,
          zone: m.zone,
          instanceGroup: m.instanceGroup,
        });
        return {
          kind: 'setNamedPorts',
          instanceGroup: m.instanceGroup,
          zone: m.zone,
          namedPorts: normPorts(ig.namedPorts),
        };
      }
      case 'patchBackendService': {
        const [bs] = await clients.backendServices.get({ project, backendService: m.backendService });
        return {
          kind: 'patchBackendService',
          backendService: m.backendService,
          timeoutSec: num(bs.timeoutSec) ?? 30,
        };
      }
    }
  }

  /** Does the current state already hold what `m` would set? */
  function holds(m: Mutation, cur: Mutation | null): boolean {
    if (m.kind === 'deleteFirewall') return cur === null;
    if (cur === null) return false;
    switch (m.kind) {
      case 'patchHealthCheck':
        return (
          cur.kind === 'patchHealthCheck' &&
          (m.port === undefined || cur.port === m.port) &&
          (m.requestPath === undefined || cur.requestPath === m.requestPath) &&
          (m.portSpecification === undefined || cur.portSpecification === m.portSpecification)
        );
      case 'patchFirewall':
        return (
          JSON.stringify(normPerms(m.allowed)) ===
          JSON.stringify((cur as { allowed: FirewallPermission[] }).allowed)
        );
      case 'insertFirewall':
        return (
          cur.kind === 'insertFirewall' &&
          JSON.stringify(normPerms(m.allowed)) === JSON.stringify(cur.allowed) &&
          JSON.stringify([...m.sourceRanges].sort()) === JSON.stringify(cur.sourceRanges) &&
          JSON.stringify([...m.targetTags].sort()) === JSON.stringify(cur.targetTags)
        );
      case 'setNamedPorts':
        return (
          cur.kind === 'setNamedPorts' &&
          JSON.stringify(normPorts(m.namedPorts)) === JSON.stringify(cur.namedPorts)
        );
      case 'patchBackendService':
        return cur.kind === 'patchBackendService' && cur.timeoutSec === m.timeoutSec;
    }
  }

  async function send(project: string, m: Mutation, requestId: string): Promise<unknown> {
    switch (m.kind) {
      case 'patchHealthCheck': {
        const [hc] = await clients.healthChecks.get({ project, healthCheck: m.healthCheck });
        const key = detailKey(m.type);
        const details = {
          ...(hc[key] ?? {}),
          ...(m.port !== undefined ? { port: m.port } : {}),
          ...(m.requestPath !== undefined ? { requestPath: m.requestPath } : {}),
          ...(m.portSpecification !== undefined ? { portSpecification: m.portSpecification } : {}),
        };
        return clients.healthChecks.patch({
          project,
          healthCheck: m.healthCheck,
          requestId,
          healthCheckResource: { [key]: details },
        });
      }
      case 'patchFirewall':
        return clients.firewalls.patch({
          project,
          firewall: m.firewall,
          requestId,
          firewallResource: { allowed: m.allowed },
        });
      case 'insertFirewall':
        return clients.firewalls.insert({
          project,
          requestId,
          firewallResource: {
            name: m.firewall,
            network: m.network,
            direction: 'INGRESS',
            priority: m.priority,
            sourceRanges: m.sourceRanges,
            targetTags: m.targetTags,
            allowed: m.allowed,
            description: m.description,
          },
        });
      case 'deleteFirewall':
        return clients.firewalls.delete({ project, firewall: m.firewall, requestId });
      case 'setNamedPorts': {
        const [ig] = await clients.instanceGroups.get({
          project,
          zone: m.zone,
          instanceGroup: m.instanceGroup,
        });
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
      }
      case 'patchBackendService': {
        const [bs] = await clients.backendServices.get({ project, backendService: m.backendService });
        return clients.backendServices.patch({
          project,
          backendService: m.backendService,
          requestId,
          backendServiceResource: { timeoutSec: m.timeoutSec, fingerprint: bs.fingerprint ?? '' },
        });
      }
    }
  }

  return {
    /**
     * Reads every resource a plan touches and returns, per step, the mutation that restores it as it
     * is now. Fails with a `ResourceDrifted` failure when the state is no longer what the plan was made from.
     */
    async snapshot(input: {
      project: string;
      steps: PlanStep[];
    }): Promise<{ stepId: string; restore: Mutation }[]> {
      const out: { stepId: string; restore: Mutation }[] = [];
      const drift: string[] = [];
      for (const step of input.steps) {
        const cur = await current(input.project, step.apply);
        if (!holds(step.inverse, cur)) {
          drift.push(`${step.id} ${cur === null ? 'no longer exists' : 'changed since the plan was made'}`);
          continue;
        }
        // A rule the plan inserts is restored by deleting it; everything else by its current values.
        const restore =
          step.apply.kind === 'insertFirewall'
            ? { kind: 'deleteFirewall' as const, firewall: step.apply.firewall }
            : cur;
        if (restore) out.push({ stepId: step.id, restore });
      }
      if (drift.length > 0) {
        throw ApplicationFailure.create({
          type: FAILURE_TYPES.drift,
          nonRetryable: true,
          message: drift.join('; '),
        });
      }
      return out;
    },

    /** Applies one mutation once: skipped when the resource already holds it. */
    async applyMutation(input: {
      project: string;
      mutation: Mutation;
      requestId: string;
    }): Promise<'applied' | 'already'> {
      const { project, mutation, requestId } = input;
      const ctx = Context.current();
      // Heartbeat on a timer: Compute's `wait` may block for up to two minutes per call.
      const beat = setInterval(() => ctx.heartbeat({ requestId }), 5_000);
      try {
        if (holds(mutation, await current(project, mutation))) return 'already';
        let op = operationOf(await send(project, mutation, requestId));
        if (ctx.info.attempt > 1 && isDone(op) && op.error?.errors?.length) {
          // Compute answered with the operation this requestId started in an earlier attempt, and
          // that one failed: the change was not made, and only a new id gets it sent again.
          const retryId = requestIdFor(requestId, ctx.info.attempt);
          op = operationOf(await send(project, mutation, retryId));
        }
        await waitForOperation(clients, project, op, {
          onPoll: (o) => ctx.heartbeat({ requestId, operation: o.name, status: o.status }),
        });
        return 'applied';
      } finally {
        clearInterval(beat);
      }
    },

    /** After a rollback: does every resource hold its snapshot again? Lists the ones that do not. */
    async checkRestored(input: { project: string; restores: Mutation[] }): Promise<string[]> {
      const off: string[] = [];
      for (const m of input.restores) {
        if (!holds(m, await current(input.project, m))) off.push(describeMutation(m));
      }
      return off;
    },
  };
}
