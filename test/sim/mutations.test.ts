/**
 * Every mutation module (activities/mutations/) through the real compute client against the simulator:
 * it reads the resource, sends its change, finds the change held once the operation is DONE, and its
 * inverse puts back exactly what it read. Then the activities built on them (activities/apply.ts) on
 * every shipped plan that changes something: snapshot, apply once, roll back, check restored.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createApplyActivities } from '../../activities/apply';
import { mutationModule } from '../../activities/mutations';
import { GoogleApiError } from '../../activities/google-errors';
import { operationOf, waitForOperation } from '../../activities/operations';
import { FAILURE_TYPES } from '../../core/model';
import type { Mutation, MutationKind } from '../../core/mutation';
import { buildPlan } from '../../core/plan';
import { shippedPolicies } from '../helpers/approvers';
import { mutationsOf } from '../helpers/port-moved';
import { apiRequests, diagnose, startSim, type SimHarness } from '../helpers/sim';

const NETWORK = 'https://www.googleapis.com/compute/v1/projects/demo-project/global/networks/default';

/** An lbmedic-owned probe rule, as an earlier run would have left it. */
const OWN_RULE: Mutation = {
  kind: 'insertFirewall',
  firewall: 'lbmedic-allow-health-checks-default-8080-0000abcd',
  network: NETWORK,
  priority: 1000,
  sourceRanges: ['35.191.0.0/16', '130.211.0.0/22'],
  targetTags: ['web'],
  allowed: [{ IPProtocol: 'tcp', ports: ['8080'] }],
  description: 'lbmedic: admit Google health-check probes to tcp:8080',
};

/** lbmedic's dedicated copy of web-hc for web-bs. */
const COPY: Mutation = {
  kind: 'insertHealthCheck',
  healthCheck: 'lbmedic-hc-web-bs',
  type: 'HTTP',
  checkIntervalSec: 5,
  timeoutSec: 5,
  healthyThreshold: 2,
  unhealthyThreshold: 2,
  details: { port: 9090, portSpecification: 'USE_FIXED_PORT', requestPath: '/healthz' },
  description: 'lbmedic: dedicated copy of health check web-hc for backend service web-bs',
};

/**
 * One change per kind on port-moved's resources, none of which holds there yet; `given` is made
 * first (the firewall kinds only ever touch lbmedic's own rules).
 */
/** Each row runs on port-moved unless it names another scenario. */
const table: { mutation: Mutation; describe: string; given?: Mutation; scenario?: string }[] = [
  {
    mutation: { kind: 'patchHealthCheck', healthCheck: 'web-hc', type: 'HTTP', port: 9090, requestPath: '/' },
    describe: 'healthCheck web-hc',
  },
  {
    // Unsorted ports and an upper-case protocol: `holds` compares them as Compute means them.
    mutation: {
      kind: 'patchFirewall',
      firewall: 'lbmedic-allow-health-checks-default-8080-0000abcd',
      allowed: [{ IPProtocol: 'TCP', ports: ['9090', '8080'] }],
    },
    describe: 'firewall lbmedic-allow-health-checks-default-8080-0000abcd',
    given: OWN_RULE,
  },
  {
    mutation: {
      kind: 'insertFirewall',
      firewall: 'lbmedic-allow-health-checks-default-9090-0000abcd',
      network: NETWORK,
      priority: 1000,
      sourceRanges: ['35.191.0.0/16', '130.211.0.0/22'],
      targetTags: ['web'],
      allowed: [{ IPProtocol: 'tcp', ports: ['9090'] }],
      description: 'lbmedic: admit Google health-check probes to tcp:9090',
    },
    describe: 'firewall lbmedic-allow-health-checks-default-9090-0000abcd',
  },
  {
    mutation: { kind: 'deleteFirewall', firewall: 'lbmedic-allow-health-checks-default-8080-0000abcd' },
    describe: 'firewall lbmedic-allow-health-checks-default-8080-0000abcd',
    given: OWN_RULE,
  },
  { mutation: COPY, describe: 'healthCheck lbmedic-hc-web-bs' },
  {
    mutation: { kind: 'deleteHealthCheck', healthCheck: 'lbmedic-hc-web-bs' },
    describe: 'healthCheck lbmedic-hc-web-bs',
    given: COPY,
  },
  {
    mutation: {
      kind: 'setBackendServiceHealthCheck',
      backendService: 'web-bs',
      healthCheck: 'lbmedic-hc-web-bs',
    },
    describe: 'backendService web-bs (health check)',
    given: COPY,
  },
  {
    mutation: {
      kind: 'setNamedPorts',
      instanceGroup: 'web-ig',
      zone: 'us-central1-a',
      namedPorts: [
        { name: 'http', port: 9090 },
        { name: 'admin', port: 8081 },
      ],
    },
    describe: 'instanceGroup us-central1-a/web-ig',
  },
  {
    mutation: { kind: 'patchBackendService', backendService: 'web-bs', timeoutSec: 68 },
    describe: 'backendService web-bs',
  },
  {
    // An internal load balancer's backend service: regionBackendServices, in its region.
    mutation: {
      kind: 'patchBackendService',
      backendService: 'orders-bs',
      region: 'us-central1',
      timeoutSec: 68,
    },
    describe: 'backendService us-central1/orders-bs',
    scenario: 'healthy-topologies',
  },
];

test('the table has a row for every kind', () => {
  const kinds: Record<MutationKind, true> = {
    patchHealthCheck: true,
    patchFirewall: true,
    insertFirewall: true,
    deleteFirewall: true,
    insertHealthCheck: true,
    deleteHealthCheck: true,
    setBackendServiceHealthCheck: true,
    setNamedPorts: true,
    patchBackendService: true,
  };
  assert.deepEqual(new Set(table.map((r) => r.mutation.kind)), new Set(Object.keys(kinds)));
});

async function sendAndWait(sim: SimHarness, m: Mutation, requestId: string) {
  const op = operationOf(await mutationModule(m).send(sim.clients, sim.project, m, requestId));
  const done = await waitForOperation(sim.clients, sim.project, op);
  assert.equal(done.status, 'DONE');
  return done;
}

for (const row of table) {
  const m = row.mutation;
  test(`${row.describe}, ${m.kind}: read, send, holds once DONE, inverse restores what was read`, async () => {
    const sim = await startSim(row.scenario ?? 'port-moved');
    try {
      if (row.given) await sendAndWait(sim, row.given, randomUUID());
      const mod = mutationModule(m);
      const read = () => mod.read(sim.clients, sim.project, m);
      assert.equal(mod.describe(m), row.describe);

      const before = await read();
      assert.equal(mod.holds(before, m), false, 'the scenario does not hold the change yet');

      const requestId = randomUUID();
      const op = await sendAndWait(sim, m, requestId);
      const after = await read();
      assert.equal(mod.holds(after, m), true, `${JSON.stringify(after)} holds ${JSON.stringify(m)}`);
      const again = operationOf(await mod.send(sim.clients, sim.project, m, requestId));
      assert.equal(again.name, op.name, 'the same requestId is the same operation: nothing sent twice');

      const restore = mod.inverse(before, m);
      assert.ok(restore, 'a change lbmedic makes can be undone');
      const undo = mutationModule(restore);
      assert.equal(undo.holds(after, restore), false);
      await sendAndWait(sim, restore, randomUUID());
      const restored = await read();
      assert.equal(undo.holds(restored, restore), true);
      assert.deepEqual(restored, before, 'the resource reads as it did before the change');
    } finally {
      await sim.stop();
    }
  });
}

const policies = shippedPolicies();

// The drift test's expected failure would otherwise be logged as a warning.
const quiet = new DefaultLogger('ERROR');

/** Runs an activity as Temporal would, in attempt 1. */
const run = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A) =>
  new MockActivityEnvironment({ attempt: 1 }, { logger: quiet }).run<A, R, typeof fn>(fn, ...args);

for (const scenario of [
  'port-moved',
  'firewall-missing',
  'hc-wrong-port',
  'hc-wrong-path',
  'named-port-mismatch',
  'backend-timeout',
  'shared-resources',
]) {
  test(`${scenario}: snapshot, apply each step once, roll back, every resource restored`, async () => {
    const sim = await startSim(scenario);
    try {
      const { snapshot, applyMutation, checkRestored } = createApplyActivities(sim.clients);
      const { evidence, diagnosis } = await diagnose(sim, 'web-bs');
      const { steps } = buildPlan(evidence, diagnosis, policies);
      assert.ok(steps.length > 0);
      const project = sim.project;

      const snap = await run(snapshot, { project, steps });
      assert.deepEqual(
        snap.map((s) => s.stepId),
        steps.map((s) => s.id),
      );
      for (const step of steps) {
        const input = { project, mutation: step.apply, requestId: randomUUID() };
        assert.equal(await run(applyMutation, input), 'applied', step.id);
        assert.equal(await run(applyMutation, input), 'already', `${step.id} is not sent twice`);
      }

      const restores = snap.map((s) => s.restore).reverse();
      assert.equal((await run(checkRestored, { project, restores })).length, steps.length);
      for (const mutation of restores) {
        assert.equal(await run(applyMutation, { project, mutation, requestId: randomUUID() }), 'applied');
      }
      assert.deepEqual(await run(checkRestored, { project, restores }), []);
      assert.deepEqual(
        await run(snapshot, { project, steps }),
        snap,
        'the plan can be made again from the restored state',
      );
    } finally {
      await sim.stop();
    }
  });
}

test('snapshot after someone else changed a resource: drift, non-retryable, naming the step', async () => {
  const sim = await startSim('port-moved');
  try {
    const { snapshot, applyMutation } = createApplyActivities(sim.clients);
    const { evidence, diagnosis } = await diagnose(sim, 'web-bs');
    const { steps } = buildPlan(evidence, diagnosis, policies);
    const hc = steps.find((s) => s.apply.kind === 'patchHealthCheck');
    assert.ok(hc);
    const someoneElse = {
      kind: 'patchHealthCheck',
      healthCheck: 'web-hc',
      type: 'HTTP',
      port: 8081,
    } as const;
    await run(applyMutation, { project: sim.project, mutation: someoneElse, requestId: randomUUID() });

    await assert.rejects(run(snapshot, { project: sim.project, steps }), (err: unknown) => {
      assert.ok(err instanceof ApplicationFailure);
      assert.equal(err.type, FAILURE_TYPES.drift);
      assert.equal(err.nonRetryable, true);
      assert.equal(err.message, `${hc.id} changed since the plan was made`);
      return true;
    });
  } finally {
    await sim.stop();
  }
});

test('never borrow: a rule or health check lbmedic did not create is refused before anything is sent', async () => {
  const sim = await startSim('port-moved');
  try {
    const refusals: [Mutation, RegExp][] = [
      [
        {
          kind: 'patchFirewall',
          firewall: 'allow-lb-health-checks',
          allowed: [{ IPProtocol: 'tcp', ports: ['9090'] }],
        },
        /will not patch firewall allow-lb-health-checks: allow-lb-health-checks is not lbmedic's own rule/,
      ],
      [
        { kind: 'deleteFirewall', firewall: 'allow-lb-health-checks' },
        /will not delete firewall allow-lb-health-checks/,
      ],
      [
        { kind: 'deleteHealthCheck', healthCheck: 'web-hc' },
        /will not delete health check web-hc: it did not create it/,
      ],
    ];
    for (const [m, message] of refusals) {
      await assert.rejects(
        mutationModule(m).send(sim.clients, sim.project, m, randomUUID()),
        (err: unknown) => {
          assert.ok(err instanceof ApplicationFailure);
          assert.equal(err.type, FAILURE_TYPES.refused);
          assert.equal(err.nonRetryable, true);
          assert.match(err.message, message);
          return true;
        },
      );
    }
    // An lbmedic rule someone widened to 0.0.0.0/0 is not lbmedic's narrow rule any more.
    await sendAndWait(sim, { ...OWN_RULE, sourceRanges: ['0.0.0.0/0'] }, randomUUID());
    const patch: Mutation = {
      kind: 'patchFirewall',
      firewall: 'lbmedic-allow-health-checks-default-8080-0000abcd',
      allowed: [],
    };
    await assert.rejects(
      mutationModule(patch).send(sim.clients, sim.project, patch, randomUUID()),
      /admits 0\.0\.0\.0\/0, outside Google's probe ranges/,
    );
    assert.deepEqual(
      mutationsOf(await apiRequests(sim)).map((r) => r.method),
      ['POST'],
      'only the setup insert was sent',
    );
  } finally {
    await sim.stop();
  }
});

test('a health check a backend service still uses cannot be deleted (Compute: resourceInUseByAnotherResource)', async () => {
  const sim = await startSim('port-moved');
  try {
    await sendAndWait(sim, COPY, randomUUID());
    const sw: Mutation = {
      kind: 'setBackendServiceHealthCheck',
      backendService: 'web-bs',
      healthCheck: 'lbmedic-hc-web-bs',
    };
    await sendAndWait(sim, sw, randomUUID());
    const del: Mutation = { kind: 'deleteHealthCheck', healthCheck: 'lbmedic-hc-web-bs' };
    await assert.rejects(
      mutationModule(del).send(sim.clients, sim.project, del, randomUUID()),
      (err: unknown) => {
        assert.ok(err instanceof GoogleApiError);
        assert.equal(err.status, 400);
        assert.match(
          err.message,
          /is already being used by 'projects\/demo-project\/global\/backendServices\/web-bs'/,
        );
        return true;
      },
    );
  } finally {
    await sim.stop();
  }
});
