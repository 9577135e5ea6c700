/**
 * Issue 15's topologies end to end: real dev server, the simulator, the real Google clients, the
 * shipped policies. A wrong named port behind a regional managed instance group (HEALTHY, 502s) is
 * fixed through regionInstanceGroups; an internal load balancer's regional health check is patched
 * where it lives; backends outside Google Cloud and a firewall policy's deny are escalated with
 * nothing changed.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { RemediationResult } from '../../workflows/remediation';
import { apiRequests } from '../helpers/sim';
import { startStack } from '../helpers/stack';
import { startDevServer } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
before(async () => {
  env = await startDevServer();
});
after(async () => {
  await env?.teardown();
});

/** Every call that could change something (reads by POST left out). */
const READS = /getHealth|listInstances|listNetworkEndpoints|\/wait$|entries:list|timeSeries/;
const changes = (requests: { method: string; path: string }[]) =>
  requests.filter((r) => r.method !== 'GET' && !READS.test(r.path)).map((r) => `${r.method} ${r.path}`);

const table: {
  scenario: string;
  backendService: string;
  region?: string;
  outcome: string;
  rootCauses: string[];
  /** The change calls, by path. */
  changes: RegExp[];
}[] = [
  {
    // HEALTHY before the fix: the verification judges it by the requests logged since.
    scenario: 'named-port-wrong',
    backendService: 'web-bs',
    outcome: 'REMEDIATED',
    rootCauses: ['NAMED_PORT_MISMATCH'],
    changes: [/^POST .*\/zones\/us-central1-a\/instanceGroups\/web-ig\/setNamedPorts$/],
  },
  {
    scenario: 'regional-mig',
    backendService: 'web-bs',
    outcome: 'REMEDIATED',
    rootCauses: ['NAMED_PORT_MISMATCH'],
    changes: [/^POST .*\/regions\/us-central1\/instanceGroups\/web-rmig\/setNamedPorts$/],
  },
  {
    scenario: 'ilb-wrong-path',
    backendService: 'orders-bs',
    region: 'us-central1',
    outcome: 'REMEDIATED',
    rootCauses: ['HEALTH_CHECK_MISMATCH'],
    changes: [/^PATCH .*\/regions\/us-central1\/healthChecks\/orders-hc$/],
  },
  {
    scenario: 'neg-hybrid',
    backendService: 'legacy-bs',
    outcome: 'ESCALATED',
    rootCauses: ['EXTERNAL_BACKEND_DOWN'],
    changes: [],
  },
  {
    scenario: 'firewall-policy-blocks-probes',
    backendService: 'web-bs',
    outcome: 'ESCALATED',
    rootCauses: ['FIREWALL_BLOCKS_PROBES'],
    changes: [],
  },
];

for (const row of table) {
  test(`${row.scenario}: ${row.outcome}`, async () => {
    const stack = await startStack(env, row.scenario);
    try {
      const id = await stack.alert(row.backendService, {}, undefined, row.region);
      const result = (await env.client.workflow.getHandle(id).result()) as RemediationResult;
      assert.equal(result.outcome, row.outcome, result.summary);
      assert.deepEqual([...result.rootCauses].sort(), row.rootCauses);
      const made = changes(await apiRequests(stack.sim));
      assert.equal(made.length, row.changes.length, JSON.stringify(made));
      row.changes.forEach((re, i) => assert.match(made[i] ?? '', re));
      if (row.outcome === 'REMEDIATED') {
        const { timeline } = (await env.client.workflow.getHandle(id).query('status')) as {
          timeline: { note: string }[];
        };
        assert.ok(
          timeline.some((t) => /after HEALTHY: \d+\/(\d{2,}) LB responses were 5xx/.test(t.note)),
          'judged by at least 20 responses since HEALTHY',
        );
      }
    } finally {
      await stack.stop();
    }
  });
}
