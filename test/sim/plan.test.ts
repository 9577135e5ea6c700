/**
 * `lbmedic plan` for every shipped scenario, through the real clients and the shipped policies: the
 * plan a careful SRE would make, and nothing in the simulator changes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildPlan } from '../../core/plan';
import { shippedPolicies } from '../helpers/approvers';
import { apiRequests, diagnose, startSim } from '../helpers/sim';

const policies = shippedPolicies();

/** lbmedic's own rule for probes to tcp:9090 on the instances tagged web (port-moved, shared-resources). */
const NEW_PROBE_RULE_9090 =
  'firewall/lbmedic-allow-health-checks-default-9090-bde1d01f (new rule): - → INGRESS ALLOW tcp:9090 priority 1000; sourceRanges: - → 35.191.0.0/16, 130.211.0.0/22; targetTags: - → web; network: - → default';

const table: {
  scenario: string;
  backendService?: string;
  steps: string[];
  escalations: string[];
  approval: string;
}[] = [
  { scenario: 'healthy', steps: [], escalations: [], approval: 'auto' },
  {
    scenario: 'hc-wrong-port',
    steps: ['healthCheck/web-hc httpHealthCheck.port: 8081 → 8080'],
    escalations: [],
    approval: 'auto',
  },
  {
    scenario: 'hc-wrong-path',
    steps: ['healthCheck/web-hc httpHealthCheck.requestPath: /health → /healthz'],
    escalations: [],
    approval: 'auto',
  },
  {
    scenario: 'firewall-missing',
    steps: [
      'firewall/lbmedic-allow-health-checks-default-8080-866a4e17 (new rule): - → INGRESS ALLOW tcp:8080 priority 1000; sourceRanges: - → 35.191.0.0/16, 130.211.0.0/22; targetTags: - → web; network: - → default',
    ],
    escalations: [],
    approval: 'auto',
  },
  {
    scenario: 'named-port-mismatch',
    steps: ['instanceGroup/us-central1-a/web-ig namedPorts: http:8081 → http:8080'],
    escalations: [],
    approval: 'auto',
  },
  {
    scenario: 'backend-timeout',
    steps: ['backendService/web-bs timeoutSec: 30 → 68'],
    escalations: [],
    approval: 'manual',
  },
  { scenario: 'keepalive-mismatch', steps: [], escalations: ['KEEPALIVE_TOO_SHORT'], approval: 'auto' },
  {
    scenario: 'neg-empty',
    backendService: 'api-bs',
    steps: [],
    escalations: ['NEG_MISCONFIGURED'],
    approval: 'auto',
  },
  {
    scenario: 'named-port-wrong',
    steps: ['instanceGroup/us-central1-a/web-ig namedPorts: http:8081 → http:8080'],
    escalations: [],
    approval: 'auto',
  },
  {
    scenario: 'regional-mig',
    steps: ['instanceGroup/us-central1/web-rmig namedPorts: http:80 → http:8080'],
    escalations: [],
    approval: 'auto',
  },
  {
    scenario: 'https-wrong-path',
    backendService: 'secure-bs',
    steps: ['healthCheck/secure-hc httpsHealthCheck.requestPath: /health → /healthz'],
    escalations: [],
    approval: 'auto',
  },
  // Never a VPC rule against a policy's deny, never an edit of the policy: the exact rule, escalated.
  {
    scenario: 'firewall-policy-blocks-probes',
    steps: [],
    escalations: ['FIREWALL_BLOCKS_PROBES'],
    approval: 'auto',
  },
  {
    scenario: 'neg-hybrid',
    backendService: 'legacy-bs',
    steps: [],
    escalations: ['EXTERNAL_BACKEND_DOWN'],
    approval: 'auto',
  },
  {
    scenario: 'neg-internet',
    backendService: 'origin-bs',
    steps: [],
    escalations: ['EXTERNAL_BACKEND_DOWN'],
    approval: 'auto',
  },
  { scenario: 'neg-serverless', backendService: 'api-bs', steps: [], escalations: [], approval: 'auto' },
  {
    scenario: 'port-moved',
    steps: [
      'healthCheck/web-hc httpHealthCheck.port: 8080 → 9090',
      'instanceGroup/us-central1-a/web-ig namedPorts: http:8080 → http:9090',
      NEW_PROBE_RULE_9090,
    ],
    escalations: [],
    approval: 'auto',
  },
  {
    // The shared health check is copied, the legacy 0.0.0.0/0 rule is left alone.
    scenario: 'shared-resources',
    steps: [
      'healthCheck/lbmedic-hc-web-bs (new health check): - → a copy of shared-hc for web-bs; httpHealthCheck.port (copy): 8080 → 9090',
      'backendService/web-bs/healthCheck healthChecks: shared-hc → lbmedic-hc-web-bs',
      'instanceGroup/us-central1-a/web-ig namedPorts: http:8080 → http:9090',
      NEW_PROBE_RULE_9090,
    ],
    escalations: [],
    approval: 'auto',
  },
  { scenario: 'shared-resources', backendService: 'api-bs', steps: [], escalations: [], approval: 'auto' },
];

for (const row of table) {
  const bs = row.backendService ?? 'web-bs';
  test(`plan ${row.scenario} ${bs}`, async () => {
    const sim = await startSim(row.scenario);
    try {
      const { evidence, diagnosis } = await diagnose(sim, bs);
      const plan = buildPlan(evidence, diagnosis, policies);
      assert.deepEqual(
        plan.steps.map(
          (s) => `${s.id} ${s.changes.map((c) => `${c.field}: ${c.before} → ${c.after}`).join('; ')}`,
        ),
        row.steps,
      );
      assert.deepEqual(
        plan.escalations.map((e) => e.cause),
        row.escalations,
      );
      assert.equal(plan.approval.mode, row.approval);
      for (const step of plan.steps) assert.equal(step.impact.via, `nothing beyond ${bs}`, step.id);
      assert.equal(plan.dryRun, false);
      const mutations = (await apiRequests(sim)).filter(
        (r) =>
          r.method !== 'GET' &&
          !/getHealth|listInstances|listNetworkEndpoints|wait|entries:list/.test(r.path),
      );
      assert.deepEqual(mutations, [], 'planning changes nothing');
    } finally {
      await sim.stop();
    }
  });
}
