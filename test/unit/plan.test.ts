import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classify } from '../../core/classify';
import type { Evidence } from '../../core/evidence';
import type { FirewallRule } from '../../core/firewall';
import { buildPlan } from '../../core/plan';
import { renderPlan } from '../../core/plan-render';
import { Policy, type PolicySet } from '../../policies/schema';
import { loadPolicies } from '../../runtime/policy-loader';
import { broken, evidence, good, NET } from '../helpers/evidence-fixture';

const shipped = loadPolicies();
const plan = (ev: Evidence, set: PolicySet = shipped, labels: Record<string, string> = {}) =>
  buildPlan(ev, classify(ev), set, labels);

test('port-moved: the named port, the health-check port and the probe rule move to 9090, nothing else', () => {
  const p = plan(evidence(broken({ appPort: 9090 })));
  assert.deepEqual(
    p.steps.map((s) => [s.id, s.apply]),
    [
      [
        'healthCheck/web-hc',
        {
          kind: 'patchHealthCheck',
          healthCheck: 'web-hc',
          type: 'HTTP',
          port: 9090,
          requestPath: '/healthz',
        },
      ],
      [
        'instanceGroup/z1/web-ig',
        {
          kind: 'setNamedPorts',
          instanceGroup: 'web-ig',
          zone: 'z1',
          namedPorts: [{ name: 'http', port: 9090 }],
        },
      ],
      [
        'firewall/allow-hc',
        { kind: 'patchFirewall', firewall: 'allow-hc', allowed: [{ IPProtocol: 'tcp', ports: ['9090'] }] },
      ],
    ],
  );
  assert.deepEqual(
    p.steps.map((s) => s.inverse),
    [
      { kind: 'patchHealthCheck', healthCheck: 'web-hc', type: 'HTTP', port: 8080, requestPath: '/healthz' },
      {
        kind: 'setNamedPorts',
        instanceGroup: 'web-ig',
        zone: 'z1',
        namedPorts: [{ name: 'http', port: 8080 }],
      },
      { kind: 'patchFirewall', firewall: 'allow-hc', allowed: [{ IPProtocol: 'tcp', ports: ['8080'] }] },
    ],
  );
  assert.equal(p.dryRun, false);
  assert.equal(p.approval.mode, 'auto');
  assert.deepEqual(p.escalations, []);
  const text = renderPlan(p);
  assert.match(text, /~ healthCheck web-hc[^\n]*\n\s+httpHealthCheck\.port: 8080 → 9090/);
  assert.match(text, /~ instanceGroup z1\/web-ig[^\n]*\n\s+namedPorts: http:8080 → http:9090/);
  assert.match(text, /~ firewall allow-hc[^\n]*\n\s+allowed: tcp:8080 → tcp:9090/);
  assert.doesNotMatch(text, /timeoutSec/);
});

test('firewall missing: insert one rule, deterministic name, exactly the probe ranges and port; inverse deletes it', () => {
  const p = plan(evidence(broken({ firewallPort: undefined })));
  assert.equal(p.steps.length, 1);
  assert.deepEqual(p.steps[0]?.apply, {
    kind: 'insertFirewall',
    firewall: 'lbmedic-allow-health-checks-default-8080',
    network: NET,
    priority: 1000,
    sourceRanges: ['35.191.0.0/16', '130.211.0.0/22'],
    targetTags: ['web'],
    allowed: [{ IPProtocol: 'tcp', ports: ['8080'] }],
    description: p.steps[0]?.apply.kind === 'insertFirewall' ? p.steps[0].apply.description : '',
  });
  assert.deepEqual(p.steps[0]?.inverse, {
    kind: 'deleteFirewall',
    firewall: 'lbmedic-allow-health-checks-default-8080',
  });
});

test("firewall: lbmedic's own rule from an earlier run is patched, not inserted twice", () => {
  const ev = evidence(broken({ firewallPort: undefined }));
  const own: FirewallRule = {
    name: 'lbmedic-allow-health-checks-default-8080',
    network: NET,
    direction: 'INGRESS',
    priority: 1000,
    sourceRanges: ['35.191.0.0/16', '130.211.0.0/22'],
    targetTags: ['web'],
    allowed: [{ IPProtocol: 'tcp', ports: ['8080'] }],
    disabled: true,
  };
  const p = plan({ ...ev, firewallRules: { ok: true, value: [own] } });
  assert.deepEqual(p.steps[0]?.apply.kind, 'patchFirewall');
});

test('firewall: an inserted rule goes below a blocking deny rule', () => {
  const ev = evidence(broken({ firewallPort: undefined }));
  const deny: FirewallRule = {
    name: 'deny-all-ingress',
    network: NET,
    direction: 'INGRESS',
    priority: 500,
    sourceRanges: ['0.0.0.0/0'],
    denied: [{ IPProtocol: 'all' }],
  };
  const p = plan({ ...ev, firewallRules: { ok: true, value: [deny] } });
  const apply = p.steps[0]?.apply;
  assert.ok(apply?.kind === 'insertFirewall');
  assert.equal(apply.priority, 499);
  const atZero = plan({ ...ev, firewallRules: { ok: true, value: [{ ...deny, priority: 0 }] } });
  assert.equal(atZero.steps.length, 0);
  assert.match(atZero.escalations[0]?.humanFix ?? '', /deny rule at priority 0/);
});

test('named port: other named ports are kept', () => {
  const ev = evidence(broken({ namedPort: 8081, hcPort: 8081, portSpecification: 'USE_SERVING_PORT' }));
  const groups = ev.instanceGroups.ok ? ev.instanceGroups.value : [];
  const withExtra = groups.map((g) => ({
    ...g,
    namedPorts: [{ name: 'admin', port: 9000 }, ...g.namedPorts],
  }));
  const p = plan({ ...ev, instanceGroups: { ok: true, value: withExtra } });
  assert.deepEqual(p.steps[0]?.apply, {
    kind: 'setNamedPorts',
    instanceGroup: 'web-ig',
    zone: 'z1',
    namedPorts: [
      { name: 'admin', port: 9000 },
      { name: 'http', port: 8080 },
    ],
  });
});

test('backend timeout: latency × margin, a larger margin when censored, capped; at the cap it escalates', () => {
  const rows = [
    {
      name: 'observed below the timeout (metrics lag the logs): × 1.5',
      maxMs: 20_000,
      timeout: 30,
      expect: 45,
    },
    { name: 'observed 45s, at or over the timeout so censored: × 2', maxMs: 45_000, timeout: 30, expect: 90 },
    { name: 'censored at 33.9s', maxMs: 33_882, timeout: 30, expect: 68 },
    { name: 'capped', maxMs: 400_000, timeout: 30, expect: 300 },
  ];
  for (const r of rows) {
    const p = plan(
      evidence({ ...good, timeoutSec: r.timeout, logs: { backend_timeout: 9 }, latencyMaxMs: r.maxMs }),
    );
    assert.deepEqual(
      p.steps[0]?.apply,
      { kind: 'patchBackendService', backendService: 'web-bs', timeoutSec: r.expect },
      r.name,
    );
    assert.equal(p.approval.mode, 'manual', 'the shipped timeout policy asks a person');
  }
  const atCap = plan(
    evidence({ ...good, timeoutSec: 300, logs: { backend_timeout: 9 }, latencyMaxMs: 320_000 }),
  );
  assert.equal(atCap.steps.length, 0);
  assert.match(atCap.escalations[0]?.humanFix ?? '', /caps it at 300s/);
});

test('keepalive: escalation only, with the human fix', () => {
  const p = plan(evidence({ ...good, logs: { backend_connection_closed_before_data_sent_to_client: 3 } }));
  assert.deepEqual(p.steps, []);
  assert.match(p.escalations[0]?.humanFix ?? '', /keepalive .* above 600 s, e\.g\. 620 s/);
});

const withPolicies = (...extra: Policy[]): PolicySet => ({
  settings: shipped.settings,
  policies: [...shipped.policies, ...extra],
});

test('kill switch and dry-run policies make the whole plan dry-run, with reasons', () => {
  const ev = evidence(broken({ appPort: 9090 }));
  const killed = plan(ev, { ...shipped, settings: { killSwitch: true } });
  assert.equal(killed.dryRun, true);
  assert.match(killed.dryRunReasons.join(), /kill switch/);
  assert.equal(killed.steps.length, 3, 'the plan is still shown');
  const dry = Policy.parse({
    name: 'dry-hc',
    priority: 5,
    match: { causes: ['HEALTH_CHECK_MISMATCH'] },
    action: { type: 'patchHealthCheck' },
    approval: { mode: 'auto' },
    dryRun: true,
  });
  const p = plan(ev, withPolicies(dry));
  assert.equal(p.dryRun, true);
  assert.deepEqual(p.dryRunReasons, ['policy dry-hc is dry-run']);
});

test('a cause without a policy: escalated, and nothing is applied in part', () => {
  const set = { ...shipped, policies: shipped.policies.filter((p) => p.name !== 'firewall-blocks-probes') };
  const p = plan(evidence(broken({ appPort: 9090 })), set);
  assert.equal(p.escalations[0]?.cause, 'FIREWALL_BLOCKS_PROBES');
  assert.equal(p.escalations[0]?.policy, undefined);
  assert.equal(p.dryRun, true);
  assert.match(p.dryRunReasons.join(), /no policy/);
});

test('approval combines strictest-wins: manual beats auto, approvers intersect, counts and timeouts', () => {
  const manual = (
    name: string,
    cause: string,
    action: string,
    approvers: string[],
    required: number,
    timeout: string,
  ) =>
    Policy.parse({
      name,
      priority: 5,
      match: { causes: [cause] },
      action: { type: action },
      approval: { mode: 'manual', approvers, required, timeout },
    });
  const set = withPolicies(
    manual('hc-manual', 'HEALTH_CHECK_MISMATCH', 'patchHealthCheck', ['ann', 'bob', 'cyd'], 1, '2h'),
    manual('fw-manual', 'FIREWALL_BLOCKS_PROBES', 'allowProbesInFirewall', ['bob', 'cyd'], 2, '30m'),
  );
  const p = plan(evidence(broken({ appPort: 9090 })), set, {});
  assert.deepEqual(p.approval, {
    mode: 'manual',
    approvers: ['bob', 'cyd'],
    required: 2,
    allowSelfApproval: false,
    timeoutSec: 1800,
    onTimeout: 'escalate',
    cancelOnIncidentClosed: false,
  });
  assert.deepEqual(p.policies, ['fw-manual', 'hc-manual', 'named-port-mismatch']);
  assert.match(
    renderPlan(p),
    /approval: {5}manual, 2 of bob, cyd \(not the trigger\), within 30m, then escalate/,
  );
});

test('no fault: an empty plan', () => {
  const p = plan(evidence(good));
  assert.deepEqual(p.steps, []);
  assert.deepEqual(p.escalations, []);
  assert.match(renderPlan(p), /nothing to change/);
});

test('an alert labelled lbmedic_approval=manual makes an auto plan manual, never the reverse', () => {
  const ev = evidence(broken({ appPort: 9090 }));
  const p = plan(ev, shipped, { lbmedic_approval: 'manual' });
  assert.equal(p.approval.mode, 'manual');
  assert.equal(p.approval.timeoutSec, 1800);
  assert.match(p.notes.join(), /lbmedic_approval=manual/);
  assert.equal(plan(ev, shipped, { lbmedic_approval: 'auto' }).approval.mode, 'auto');
  const timeout = plan(evidence({ ...good, logs: { backend_timeout: 9 }, latencyMaxMs: 40_000 }), shipped, {
    lbmedic_approval: 'auto',
  });
  assert.equal(timeout.approval.mode, 'manual', 'a label cannot make a manual policy automatic');
});
