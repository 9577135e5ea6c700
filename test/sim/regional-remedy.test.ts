/**
 * Issue 15, operator side: the topologies lbmedic diagnosed wrongly before, through the real clients
 * against the simulator: diagnosis, plan from the shipped policies, each step applied once by the
 * apply activity, and the simulator's own view afterwards (getHealth through the verification reader,
 * the LB's request log). The regional load balancer is read where it lives.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createApplyActivities } from '../../activities/apply';
import { createBackendHealthActivities } from '../../activities/backend-health';
import { readLbLogFacts } from '../../activities/lb-request-log';
import { buildPlan } from '../../core/plan';
import { shippedPolicies } from '../helpers/approvers';
import { diagnose, eventually, startSim } from '../helpers/sim';

const policies = shippedPolicies();
const run = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A) =>
  new MockActivityEnvironment({ attempt: 1 }).run<A, R, typeof fn>(fn, ...args);

const table: {
  scenario: string;
  backendService: string;
  region?: string;
  /** The plan's steps as `id change`. */
  steps: string[];
  /** The health before the fix (getHealth through the verification reader). */
  healthyBefore: boolean;
}[] = [
  {
    scenario: 'named-port-wrong',
    backendService: 'web-bs',
    steps: ['instanceGroup/us-central1-a/web-ig namedPorts: http:8081 → http:8080'],
    healthyBefore: true,
  },
  {
    scenario: 'regional-mig',
    backendService: 'web-bs',
    steps: ['instanceGroup/us-central1/web-rmig namedPorts: http:80 → http:8080'],
    healthyBefore: true,
  },
  {
    scenario: 'ilb-wrong-path',
    backendService: 'orders-bs',
    region: 'us-central1',
    steps: ['healthCheck/orders-hc httpHealthCheck.requestPath: /health → /healthz'],
    healthyBefore: false,
  },
];

for (const row of table) {
  test(`${row.scenario}: diagnosed, planned and fixed through the ${row.region ? 'regional ' : ''}API`, async () => {
    const sim = await startSim(row.scenario);
    try {
      const { project } = sim;
      const where = {
        project,
        backendService: row.backendService,
        ...(row.region ? { region: row.region } : {}),
      };
      const { evidence, diagnosis } = await diagnose(sim, row.backendService, row.region);
      assert.deepEqual(diagnosis.unavailable, []);
      const plan = buildPlan(evidence, diagnosis, policies);
      assert.deepEqual(
        plan.steps.map(
          (s) => `${s.id} ${s.changes.map((c) => `${c.field}: ${c.before} → ${c.after}`).join('; ')}`,
        ),
        row.steps,
      );
      const health = createBackendHealthActivities(sim.clients);
      const before = await health.getBackendHealth(where);
      assert.equal(before.total > 0 && before.healthy === before.total, row.healthyBefore);

      const { applyMutation } = createApplyActivities(sim.clients);
      for (const step of plan.steps) {
        assert.equal(
          await run(applyMutation, { project, mutation: step.apply, requestId: randomUUID() }),
          'applied',
        );
      }
      await eventually('every backend HEALTHY', async () => {
        const h = await health.getBackendHealth(where);
        return h.total > 0 && h.healthy === h.total ? h : undefined;
      });
      // The requests now reach the app: no 5xx since the fix, on the log the regional LB writes to.
      const fixedAt = new Date().toISOString();
      const logs = await eventually('200s logged since the fix', async () => {
        const l = await readLbLogFacts(sim.clients, { ...where, windowMinutes: 10, since: fixedAt }, 1_000);
        return l.total >= 20 ? l : undefined;
      });
      assert.deepEqual(Object.keys(logs.byStatus), ['200'], JSON.stringify(logs.byStatusDetails));
    } finally {
      await sim.stop();
    }
  });
}
