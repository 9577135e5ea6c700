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
              instances: ['web-1', 'web-2'].map((name) => ({
                name,
                zone: 'z1',
                tags: ['web'],
                serviceAccounts: [],
              })),
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
    'allow 35.191.0.0/16 and 130.211.0.0/22 to tcp:8080 on network default for tags web, in a rule that admits nothing else',
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
const OWN = /^lbmedic-allow-health-checks-default-8080-[0-9a-f]{8}$/;

test('firewall missing: one lbmedic-owned rule, deterministic name, exactly the probe ranges, port and tags; inverse deletes it', () => {
  const p = plan(evidence(broken({ firewallPort: undefined })));
  assert.equal(p.steps.length, 1);
  const apply = p.steps[0]?.apply;
  assert.ok(apply?.kind === 'insertFirewall');
  assert.match(apply.firewall, OWN);
  assert.match(apply.description, /^lbmedic: admit Google health-check probes to tcp:8080/);
  assert.deepEqual(
    { ...apply, firewall: '', description: '' },
    {
      kind: 'insertFirewall',
      firewall: '',
      network: NET,
      priority: 1000,
      sourceRanges: ['35.191.0.0/16', '130.211.0.0/22'],
      targetTags: ['web'],
      allowed: [{ IPProtocol: 'tcp', ports: ['8080'] }],
      description: '',
    },
  );
  assert.deepEqual(p.steps[0]?.inverse, { kind: 'deleteFirewall', firewall: apply.firewall });
  assert.equal(
    plan(evidence(broken({ firewallPort: undefined }))).steps[0]?.id,
    `firewall/${apply.firewall}`,
  );
  assert.equal(p.steps[0]?.impact.via, 'nothing beyond web-bs');
});

/** The name lbmedic gives its rule in the firewall-missing fixture. */
const ownName = () => {
  const apply = plan(evidence(broken({ firewallPort: undefined }))).steps[0]?.apply;
  assert.ok(apply?.kind === 'insertFirewall');
  return apply.firewall;
};

test("firewall: lbmedic's own rule from an earlier run is patched, not inserted twice; a stranger's of that name is left alone", () => {
  const ev = evidence(broken({ firewallPort: undefined }));
  const own: FirewallRule = {
    name: ownName(),
    network: NET,
    direction: 'INGRESS',
    priority: 1000,
    sourceRanges: ['35.191.0.0/16', '130.211.0.0/22'],
    targetTags: ['web'],
    allowed: [{ IPProtocol: 'tcp', ports: ['8081'] }],
    description: 'lbmedic: admit Google health-check probes',
  };
  assert.equal(
    plan({ ...ev, firewallRules: { ok: true, value: [own] } }).steps[0]?.apply.kind,
    'patchFirewall',
  );
  const stranger = { ...own, description: 'made by hand' };
  const p = plan({ ...ev, firewallRules: { ok: true, value: [stranger] } });
  assert.deepEqual(p.steps, []);
  assert.match(p.escalations[0]?.humanFix ?? '', /lbmedic may not change it: .* is not lbmedic's own rule/);
});

test('firewall, never borrow: the app moved; the rule that admitted the old port is not moved, a dedicated one is added', () => {
  const moved = evidence(broken({ appPort: 9090 }));
  const p = plan(moved);
  const firewallSteps = p.steps.filter((s) => s.resource.kind === 'firewall');
  assert.deepEqual(
    firewallSteps.map((s) => s.apply.kind),
    ['insertFirewall'],
  );
  assert.match(firewallSteps[0]?.id ?? '', /^firewall\/lbmedic-allow-health-checks-default-9090-/);
  assert.ok(!p.steps.some((s) => s.id === 'firewall/allow-hc'), 'allow-hc is not touched');
});

const broad: FirewallRule = {
  name: 'legacy-allow-all',
  network: NET,
  direction: 'INGRESS',
  priority: 1000,
  sourceRanges: ['0.0.0.0/0'],
  allowed: [{ IPProtocol: 'tcp', ports: ['8080'] }],
};

test('firewall, never widen: a 0.0.0.0/0 rule with no targets that admits the old port is never patched', () => {
  const ev = withRules(evidence(broken({ appPort: 9090, firewallPort: undefined })), [broad]);
  const steps = plan(ev).steps.filter((s) => s.resource.kind === 'firewall');
  assert.equal(steps.length, 1);
  const apply = steps[0]?.apply;
  assert.ok(apply?.kind === 'insertFirewall');
  assert.deepEqual(apply.sourceRanges, ['35.191.0.0/16', '130.211.0.0/22']);
  assert.deepEqual(apply.targetTags, ['web']);
  assert.deepEqual(apply.allowed, [{ IPProtocol: 'tcp', ports: ['9090'] }]);
});

test('firewall, deny: escalated unless the policy overrides it, then just below the deny; priority 0 cannot be beaten', () => {
  const ev = withRules(evidence(broken({ firewallPort: undefined })), [deny]);
  const [f] = detectIn(firewallBlocksProbes, ev).findings;
  assert.ok(f);
  const planWith = (action: object, e: Evidence = ev) =>
    firewallBlocksProbes.planFinding(
      f,
      AllowProbesInFirewall.parse({ type: 'allowProbesInFirewall', ...action }),
      {
        evidence: e,
      },
    );
  assert.match(planWith({})?.escalate ?? '', /deny rule deny-all-ingress \(priority 500\) drops the probes/);
  const over = planWith({ overrideDeny: true })?.steps?.[0]?.apply;
  assert.ok(over?.kind === 'insertFirewall');
  assert.equal(over.priority, 499);
  const atZero = withRules(evidence(broken({ firewallPort: undefined })), [{ ...deny, priority: 0 }]);
  const [f0] = detectIn(firewallBlocksProbes, atZero).findings;
  assert.match(
    firewallBlocksProbes.planFinding(
      f0!,
      AllowProbesInFirewall.parse({ type: 'allowProbesInFirewall', overrideDeny: true }),
      {
        evidence: atZero,
      },
    )?.escalate ?? '',
    /deny rule at priority 0/,
  );
});

/** Fixture evidence whose two instances carry these tags and service accounts, among `others` in the project. */
function tagged(
  tags: string[][],
  accounts: string[][],
  others: { name: string; tags: string[]; serviceAccounts: string[] }[] = [],
): Evidence {
  const ev = evidence(broken({ firewallPort: undefined }));
  assert.ok(ev.instanceGroups.ok && ev.topology.ok);
  const groups = ev.instanceGroups.value.map((g) => ({
    ...g,
    instances: g.instances.map((i, n) => ({ ...i, tags: tags[n] ?? [], serviceAccounts: accounts[n] ?? [] })),
  }));
  const mine = groups
    .flatMap((g) => g.instances)
    .map(({ name, zone, network, tags: t, serviceAccounts }) => ({
      name,
      zone,
      network,
      tags: t,
      serviceAccounts,
    }));
  const theirs = others.map((o) => ({ ...o, zone: 'z1', network: NET }));
  return {
    ...ev,
    instanceGroups: { ok: true, value: groups },
    topology: { ok: true, value: { ...ev.topology.value, instances: [...mine, ...theirs] } },
  };
}

test('firewall, targets: the narrowest tags or service accounts that cover the blocked instances', () => {
  const targets = (ev: Evidence) => {
    const apply = plan(ev).steps[0]?.apply;
    return apply?.kind === 'insertFirewall'
      ? { tags: apply.targetTags, accounts: apply.targetServiceAccounts ?? [] }
      : plan(ev).escalations.map((e) => e.humanFix);
  };
  const fleet = Array.from({ length: 5 }, (_, i) => ({
    name: `other-${i}`,
    tags: ['prod'],
    serviceAccounts: [],
  }));
  assert.deepEqual(
    targets(
      tagged(
        [
          ['prod', 'web'],
          ['prod', 'web'],
        ],
        [],
        fleet,
      ),
    ),
    { tags: ['web'], accounts: [] },
  );
  assert.deepEqual(targets(tagged([['a'], ['b']], [])), { tags: ['a', 'b'], accounts: [] });
  assert.deepEqual(targets(tagged([[], []], [['app@p.iam'], ['app@p.iam']])), {
    tags: [],
    accounts: ['app@p.iam'],
  });
  const bare = targets(tagged([['web'], []], []));
  assert.ok(Array.isArray(bare));
  assert.match(bare[0] ?? '', /web-2 have neither network tags nor service accounts/);
});

test('firewall, impact: a rule whose targets also serve another backend service escalates under the default maxImpact', () => {
  const ev = evidence(broken({ firewallPort: undefined }));
  assert.ok(ev.topology.ok);
  const topology = {
    ...ev.topology.value,
    backendServices: [
      ...ev.topology.value.backendServices,
      { name: 'admin-bs', portName: 'admin', groups: [{ name: 'web-ig', zone: 'z1' }] },
    ],
  };
  const p = plan({ ...ev, topology: { ok: true, value: topology } });
  assert.deepEqual(p.steps, []);
  assert.match(
    p.escalations[0]?.summary ?? '',
    /^firewall\/lbmedic-.* also affects admin-bs \(firewall .* applies to 2 instance\(s\) of network default, which also serve admin-bs\)$/,
  );
});

test('firewall, policy: port, priority and prefix; the prefix must mark the rule as lbmedic-owned', () => {
  const named = AllowProbesInFirewall.parse({
    type: 'allowProbesInFirewall',
    port: 8443,
    priority: 10,
    namePrefix: 'lbmedic-probes',
  });
  const missing = evidence(broken({ firewallPort: undefined }));
  const [f2] = detectIn(firewallBlocksProbes, missing).findings;
  const insert = firewallBlocksProbes.planFinding(f2!, named, { evidence: missing })?.steps?.[0];
  assert.match(insert?.id ?? '', /^firewall\/lbmedic-probes-default-8443-[0-9a-f]{8}$/);
  assert.deepEqual(
    insert?.changes.map((c) => `${c.field}: ${c.before} → ${c.after}`),
    [
      '(new rule): - → INGRESS ALLOW tcp:8443 priority 10',
      'sourceRanges: - → 35.191.0.0/16, 130.211.0.0/22',
      'targetTags: - → web',
      'network: - → default',
    ],
  );
  const refused = AllowProbesInFirewall.safeParse({ type: 'allowProbesInFirewall', namePrefix: 'probes' });
  assert.equal(refused.success, false);
});
