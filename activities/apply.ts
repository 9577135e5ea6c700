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
import { FAILURE_TYPES } from '../core/model';
import type { Mutation } from '../core/mutation';
import type { PlanStep } from '../core/plan';
import type { GcpClients } from './gcp-clients';
import { describeMutation, mutationModule } from './mutations';
import { isDone, operationOf, waitForOperation } from './operations';

/** A UUID derived from the workflow's requestId and the attempt: stable for that attempt, new per attempt. */
export function requestIdFor(base: string, attempt: number): string {
  const h = createHash('sha256').update(`${base}/${attempt}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Snapshot, apply and check through the mutation modules (activities/mutations/), one per kind. */
export function createApplyActivities(clients: GcpClients) {
  const read = (project: string, m: Mutation) => mutationModule(m).read(clients, project, m);
  const holds = (current: Mutation | null, desired: Mutation) =>
    mutationModule(desired).holds(current, desired);
  const send = (project: string, m: Mutation, requestId: string) =>
    mutationModule(m).send(clients, project, m, requestId);

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
        const cur = await read(input.project, step.apply);
        if (!holds(cur, step.inverse)) {
          drift.push(`${step.id} ${cur === null ? 'no longer exists' : 'changed since the plan was made'}`);
          continue;
        }
        const restore = mutationModule(step.apply).inverse(cur, step.apply);
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
        if (holds(await read(project, mutation), mutation)) return 'already';
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
        if (!holds(await read(input.project, m), m)) off.push(describeMutation(m));
      }
      return off;
    },
  };
}
