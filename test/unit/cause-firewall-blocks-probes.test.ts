import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classify } from '../../core/classify';
import type { AnyFinding } from '../../core/causes/cause';
import { AllowProbesInFirewall, firewallBlocksProbes } from '../../core/causes/firewall-blocks-probes';
import { healthCheckMismatch } from '../../core/causes/health-check-mismatch';
import { namedPortMismatch } from '../../core/causes/named-port-mismatch';
import type { Evidence } from '../../core/evidence';
import type { FirewallRule } from '../../core/firewall';
import { buildPlan } from '../../core/plan';
import { shippedPolicies } from '../helpers/approvers';
import { detectIn } from '../helpers/causes';
import { broken, evidence, good, NET } from '../helpers/evidence-fixture';

const BOTH = ['130.211.0.0/22', '35.191.0.0/16'];
const deny: FirewallRule = {
  name: 'deny-all-ingress',
  network: NET,
  direction: 'INGRESS',
  priority: 500,
  sourceRanges: ['0.0.0.0/0'],
  denied: [{ IPProtocol: 'all' }],
};
const withRules = (ev: Evidence, extra: FirewallRule[]): Evidence => ({
  ...ev,
  firewallRules: { ok: true, value: [...(ev.firewallRules.ok ? ev.firewallRules.value : []), ...extra] },
});
/** The findings classify hands the firewall detector: the causes before it in the registry. */
const before = (ev: Evidence): AnyFinding[] => [
  ...detectIn(healthCheckMismatch, ev).findings,
  ...detectIn(namedPortMismatch, ev).findings,
];

test('firewall, detect: the probe ranges against the port the health check will probe once fixed', () => {
  const movedServing = evidence(broken({ appPort: 9090, portSpecification: 'USE_SERVING_PORT' }));
  const rows: {
    name: string;
    ev: Evidence;
    before?: AnyFinding[];
    port: number | null;
    blocking?: object[];
  }[] = [
    { name: 'healthy', ev: evidence(good), port: null },
    { name: 'no probe rule', ev: evidence(broken({ firewallPort: undefined })), port: 8080 },
    { name: 'the rule admits another port', ev: evidence(broken({ firewallPort: 8081 })), port: 8080 },
    {
      name: 'a deny rule wins over the allow',
      ev: withRules(evidence(broken({})), [deny]),
      port: 8080,
      blocking: [{ name: 'deny-all-ingress', priority: 500 }],
    },
    {
      name: 'app moved, nothing before: the check still probes 8080, admitted',
      ev: evidence(broken({ appPort: 9090 })),
      port: null,
    },
    {
      name: 'app moved, the health-check fix moves the check to 9090',
      ev: evidence(broken({ appPort: 9090 })),
      before: before(evidence(broken({ appPort: 9090 }))),
      port: 9090,
    },
    { name: 'serving-port check, nothing before', ev: movedServing, port: null },
    {
      name: 'serving-port check follows the named-port fix',
      ev: movedServing,
      before: before(movedServing),
      port: 9090,
    },
    {
      name: 'instance groups unreadable',
      ev: evidence(broken({ firewallPort: undefined }), { instanceGroups: { ok: false, error: '503' } }),
      port: null,
    },
    { name: 'backends healthy: not chased', ev: evidence({ ...good, firewallPort: undefined }), port: null },
  ];
  for (const r of rows) {
    const { findings } = detectIn(firewallBlocksProbes, r.ev, r.before);
    assert.deepEqual(
      findings.map((f) => f.fix),
      r.port === null
        ? []
        : [
            {
              cause: 'FIREWALL_BLOCKS_PROBES',
              network: NET,
              port: r.port,
              targetTags: ['web'],
              blockedRanges: BOTH,
              blockingRules: r.blocking ?? [],
            },
          ],
      r.name,
    );
  }
});

test('firewall, detect: evidence per instance; what it could not see and conflicting evidence are noted', () => {
  const [f] = detectIn(firewallBlocksProbes, evidence(broken({ firewallPort: undefined }))).findings;
  assert.equal(
    f?.summary,
    'no firewall rule admits 130.211.0.0/22 and 35.191.0.0/16 to tcp:8080 on 2/2 instances',
  );
  assert.deepEqual(f?.evidence, [
    'firewalls.list: 0 rules on the project',
    'web-1 (tags web): 35.191.0.0/16 → implied-deny-ingress; 130.211.0.0/22 → implied-deny-ingress',
    'web-2 (tags web): 35.191.0.0/16 → implied-deny-ingress; 130.211.0.0/22 → implied-deny-ingress',
  ]);
  assert.equal(
    firewallBlocksProbes.humanFix(f!.fix),
    'allow 35.191.0.0/16 and 130.211.0.0/22 to tcp:8080 on network default for tags web',
  );
  const unreadable = detectIn(
    firewallBlocksProbes,
    evidence(broken({ firewallPort: undefined }), { firewallRules: { ok: false, error: '403' } }),
  );
  assert.deepEqual(unreadable.findings, []);
  assert.equal(
    unreadable.notes[0],
    'firewall rules could not be read: whether probes are admitted is unknown',
  );
  assert.deepEqual(detectIn(firewallBlocksProbes, evidence(broken({}))).notes, [
    'conflicting evidence: the app answers 200 on :8080/healthz, the health check and firewall agree, yet 2 backend(s) are unhealthy',
  ]);
});

const shipped = shippedPolicies();
const plan = (ev: Evidence) => buildPlan(ev, classify(ev), shipped);

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
  const p = plan({ ...ev, firewallRules: { ok: true, value: [deny] } });
  const apply = p.steps[0]?.apply;
  assert.ok(apply?.kind === 'insertFirewall');
  assert.equal(apply.priority, 499);
  const atZero = plan({ ...ev, firewallRules: { ok: true, value: [{ ...deny, priority: 0 }] } });
  assert.equal(atZero.steps.length, 0);
  assert.match(atZero.escalations[0]?.humanFix ?? '', /deny rule at priority 0/);
});

test('firewall, plan: the probe rule moves with the port; a policy may name the port, priority and prefix', () => {
  const moved = evidence(broken({ appPort: 9090 }));
  const [finding] = detectIn(firewallBlocksProbes, moved, before(moved)).findings;
  assert.ok(finding);
  const defaults = AllowProbesInFirewall.parse({ type: 'allowProbesInFirewall' });
  const patch = firewallBlocksProbes.planFinding(finding, defaults, { evidence: moved });
  assert.deepEqual(
    patch?.steps?.map((s) => [s.id, s.apply, s.inverse]),
    [
      [
        'firewall/allow-hc',
        { kind: 'patchFirewall', firewall: 'allow-hc', allowed: [{ IPProtocol: 'tcp', ports: ['9090'] }] },
        { kind: 'patchFirewall', firewall: 'allow-hc', allowed: [{ IPProtocol: 'tcp', ports: ['8080'] }] },
      ],
    ],
  );
  const named = AllowProbesInFirewall.parse({
    type: 'allowProbesInFirewall',
    port: 8443,
    priority: 10,
    namePrefix: 'lbmedic-probes',
  });
  const missing = evidence(broken({ firewallPort: undefined }));
  const [f2] = detectIn(firewallBlocksProbes, missing).findings;
  const insert = firewallBlocksProbes.planFinding(f2!, named, { evidence: missing })?.steps?.[0];
  assert.equal(insert?.id, 'firewall/lbmedic-probes-default-8443');
  assert.deepEqual(
    insert?.changes.map((c) => `${c.field}: ${c.before} → ${c.after}`),
    [
      '(new rule): - → INGRESS ALLOW tcp:8443 priority 10',
      'sourceRanges: - → 35.191.0.0/16, 130.211.0.0/22',
      'targetTags: - → web',
      'network: - → default',
    ],
  );
});
