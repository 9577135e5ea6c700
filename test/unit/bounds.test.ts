/**
 * Policy bounds at plan time (core/bounds.ts through core/plan.ts): what the schema cannot know, the
 * real health check and the ports the app serves, and the `unsafe:` escape hatch every plan shows.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { policyPorts, seenServing, verificationWindowSec } from '../../core/bounds';
import { classify } from '../../core/classify';
import type { Evidence, HealthCheckFacts } from '../../core/evidence';
import { buildPlan } from '../../core/plan';
import { renderPlan } from '../../core/plan-render';
import { Policy, type PolicySet } from '../../policies/schema';
import { shippedPolicies } from '../helpers/approvers';
import { broken, evidence } from '../helpers/evidence-fixture';

const shipped = shippedPolicies();
const plan = (ev: Evidence, set: PolicySet = shipped) => buildPlan(ev, classify(ev), set, {});
const withPolicies = (...extra: Policy[]): PolicySet => ({
  ...shipped,
  policies: [...shipped.policies, ...extra],
});
/** port-moved evidence whose health check probes every `intervalSec`, HEALTHY after `threshold`. */
function slowCheck(intervalSec: number, threshold: number): Evidence {
  const ev = evidence(broken({ appPort: 9090 }));
  const hc = (ev.healthCheck as { ok: true; value: HealthCheckFacts }).value;
  return {
    ...ev,
    healthCheck: { ok: true, value: { ...hc, checkIntervalSec: intervalSec, healthyThreshold: threshold } },
  };
}

test('the verification window: the policy’s, extended to twice the real health check’s floor', () => {
  assert.deepEqual(verificationWindowSec(600, { checkIntervalSec: 5, healthyThreshold: 2 }), { sec: 600 });
  assert.deepEqual(verificationWindowSec(600, null), { sec: 600 }, 'no health check: the policy’s');
  assert.equal(verificationWindowSec(600, { checkIntervalSec: 120, healthyThreshold: 5 })?.sec, 1200);
  assert.equal(verificationWindowSec(600, { checkIntervalSec: 300, healthyThreshold: 10 }), undefined);

  const fast = plan(slowCheck(5, 2));
  assert.equal(fast.verification.deadlineSec, 600);
  const slow = plan(slowCheck(120, 5));
  assert.equal(slow.verification.deadlineSec, 1200);
  assert.ok(
    slow.notes.includes(
      'verification window extended from 600s to 1200s: twice the 120s × 5 the health check needs to say HEALTHY',
    ),
    slow.notes.join('\n'),
  );
  assert.equal(slow.dryRun, false);
  assert.match(renderPlan(slow), /verification: 100% HEALTHY within 20m/);
  const tooSlow = plan(slowCheck(300, 10));
  assert.equal(tooSlow.dryRun, true, 'a check slower than lbmedic can verify: nothing is applied');
  assert.deepEqual(tooSlow.dryRunReasons, [
    'the health check needs longer to say HEALTHY than lbmedic verifies (1800s)',
  ]);
});

test('a policy’s fixed port where the probe did not see the app serve is escalated, not applied', () => {
  const pinned = (port: number) =>
    Policy.parse({
      name: `hc-port-${port}`,
      priority: 5,
      match: { causes: ['HEALTH_CHECK_MISMATCH'] },
      action: { type: 'patchHealthCheck', port },
      approval: { mode: 'auto' },
    });
  const ev = evidence(broken({ appPort: 9090 }));
  assert.ok(seenServing(ev.probe.ok ? ev.probe.value : [], 9090));
  const ssh = plan(ev, withPolicies(pinned(22)));
  assert.equal(
    ssh.steps.some((s) => s.id === 'healthCheck/web-hc'),
    false,
    'the health check is not touched',
  );
  const escalated = ssh.escalations.find((e) => e.cause === 'HEALTH_CHECK_MISMATCH');
  assert.equal(escalated?.policy, 'hc-port-22');
  assert.match(
    escalated?.humanFix ?? '',
    /the policy's fixed port 22 is not where the in-VPC probe saw the app serve/,
  );
  assert.equal(ssh.dryRun, false, 'the other causes are still fixed');
  const served = plan(ev, withPolicies(pinned(9090)));
  assert.equal(served.steps.find((s) => s.id === 'healthCheck/web-hc')?.policy, 'hc-port-9090');
  const blind = plan({ ...ev, probe: { ok: false, error: 'timeout' } }, withPolicies(pinned(9090)));
  assert.equal(
    blind.steps.some((s) => s.id === 'healthCheck/web-hc'),
    false,
  );
  assert.deepEqual(policyPorts([pinned(22).action, pinned(9090).action, { type: 'escalate' }]), [22, 9090]);
});

test('unsafe: a cooldown below its bound only with a reason, and every plan says so first', () => {
  const raw = {
    name: 'demo-hc',
    priority: 5,
    match: { causes: ['HEALTH_CHECK_MISMATCH'] },
    action: { type: 'patchHealthCheck' },
    approval: { mode: 'auto' },
    unsafe: { reason: 'two demos in a row on one backend', cooldown: '0s' },
  };
  const demo = Policy.parse(raw);
  const p = plan(evidence(broken({ appPort: 9090 })), withPolicies(demo));
  assert.equal(p.limits.cooldownSec, 1800, 'the other governing policies keep theirs: strictest wins');
  const alone = plan(
    evidence(broken({ appPort: 9090, namedPort: 9090, firewallPort: 9090 })),
    withPolicies(demo),
  );
  assert.equal(alone.limits.cooldownSec, 0);
  const text = renderPlan(alone).split('\n');
  assert.equal(
    text[1],
    '  UNSAFE: policy demo-hc sets the cooldown to 0s, past its 300s bound: two demos in a row on one backend',
  );
  assert.equal(plan(evidence(broken({ appPort: 9090 }))).unsafe, undefined);
  const issues = (unsafe: object) =>
    Policy.safeParse({ ...raw, unsafe }).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  assert.deepEqual(issues({ reason: 'x', cooldown: '0s' }), [
    'unsafe.reason: say why, in at least 10 characters: every plan shows it',
  ]);
  assert.deepEqual(issues({ reason: 'long enough reason', cooldown: '0s', rollback: 'never' }), [
    'unsafe: Unrecognized key: "rollback"',
  ]);
});
