/**
 * The root-cause registry is complete: every cause ships with a policy, a simulator scenario and a
 * human fix, and the policy schema knows exactly the registered causes and their actions.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CAUSES, type RootCause } from '../../core/causes';
import type { Evidence } from '../../core/evidence';
import { classify } from '../../core/classify';
import { actionsFor, Action, Policy } from '../../policies/schema';
import { DEFAULT_POLICY_DIR } from '../../runtime/policy-loader';
import { shippedPolicies } from '../helpers/approvers';
import { importGraph, ROOT } from '../../scripts/measure-rooms';
import { broken, evidence, good } from '../helpers/evidence-fixture';

/** Fixture evidence that shows each cause (a new cause needs one here: the type says so). */
const SAMPLES: Record<RootCause, Evidence> = {
  HEALTH_CHECK_MISMATCH: evidence(broken({ hcPort: 8081 })),
  NAMED_PORT_MISMATCH: evidence(broken({ namedPort: 8081 })),
  FIREWALL_BLOCKS_PROBES: evidence(broken({ firewallPort: undefined })),
  BACKEND_TIMEOUT: evidence({ ...good, logs: { backend_timeout: 5 }, latencyMaxMs: 40_000 }),
  KEEPALIVE_TOO_SHORT: evidence({
    ...good,
    logs: { backend_connection_closed_before_data_sent_to_client: 5 },
  }),
  NEG_MISCONFIGURED: evidence(good, {
    backend: {
      ok: true,
      value: {
        name: 'api-bs',
        protocol: 'HTTPS',
        portName: 'http',
        timeoutSec: 30,
        loadBalancingScheme: 'EXTERNAL_MANAGED',
        backends: [{ group: 'x/run-neg', kind: 'neg', name: 'run-neg', region: 'r1' }],
      },
    },
    negs: { ok: true, value: [] },
  }),
  EXTERNAL_BACKEND_DOWN: evidence(
    { ...good, logs: { failed_to_connect_to_backend: 5 } },
    {
      backend: {
        ok: true,
        value: {
          name: 'origin-bs',
          protocol: 'HTTPS',
          portName: 'http',
          timeoutSec: 30,
          loadBalancingScheme: 'EXTERNAL_MANAGED',
          backends: [{ group: 'x/global/networkEndpointGroups/origin-neg', kind: 'neg', name: 'origin-neg' }],
        },
      },
      negs: { ok: true, value: [{ name: 'origin-neg', type: 'INTERNET_FQDN_PORT', size: 1 }] },
    },
  ),
};

test('every registered cause has a shipped policy, a scenario that exists and a human fix', () => {
  const shipped = shippedPolicies();
  for (const cause of CAUSES) {
    const policies = shipped.policies.filter((p) => p.match.causes.includes(cause.id));
    assert.ok(policies.length > 0, `${cause.id}: no policy in ${DEFAULT_POLICY_DIR} matches it`);
    assert.ok(cause.scenarios.length > 0, `${cause.id}: names no simulator scenario`);
    for (const s of cause.scenarios) {
      const file = join(ROOT, 'simulator', 'scenarios', `${s}.yaml`);
      assert.ok(existsSync(file), `${cause.id}: scenario ${s} is not in simulator/scenarios/`);
    }
    const finding = classify(SAMPLES[cause.id]).findings.find((f) => f.cause === cause.id);
    assert.ok(finding, `${cause.id}: its sample evidence does not show it`);
    assert.ok(cause.humanFixFor(finding).trim().length > 0, `${cause.id}: empty human fix`);
  }
});

test("the policy schema's causes and actions are the registry's", () => {
  assert.deepEqual(
    Policy.shape.match.shape.causes.element.options,
    CAUSES.map((c) => c.id),
  );
  const remedies = CAUSES.flatMap((c) => c.actionTypes);
  assert.deepEqual(
    Action.options.map((o) => o.shape.type.value),
    ['escalate', ...remedies],
  );
  for (const cause of CAUSES) assert.deepEqual(actionsFor(cause.id), [...cause.actionTypes, 'escalate']);
  assert.deepEqual(actionsFor('HEALTH_CHECK_MISMATCH'), ['patchHealthCheck', 'escalate']);
  assert.deepEqual(actionsFor('KEEPALIVE_TOO_SHORT'), ['escalate']);
});

test('cause modules do not import policies/ (the schema derives from them)', () => {
  for (const [file, deps] of importGraph()) {
    if (!file.startsWith('core/causes/')) continue;
    assert.deepEqual(
      deps.filter((d) => d.startsWith('policies/')),
      [],
      file,
    );
  }
});
