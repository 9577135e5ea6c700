import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classify } from '../../core/classify';
import type { Evidence } from '../../core/evidence';
import { buildPlan } from '../../core/plan';
import { renderPlan } from '../../core/plan-render';
import { Policy, type PolicySet } from '../../policies/schema';
import { shippedPolicies, sshKeygen } from '../helpers/approvers';
import { broken, evidence, good } from '../helpers/evidence-fixture';

const shipped = shippedPolicies();
const plan = (ev: Evidence, set: PolicySet = shipped, labels: Record<string, string> = {}) =>
  buildPlan(ev, classify(ev), set, labels);

test('port-moved: the named port and the health-check port move to 9090, a dedicated rule admits the probes', () => {
  const p = plan(evidence(broken({ appPort: 9090 })));
  const [hc, ig, fw] = p.steps;
  assert.deepEqual(
    [hc, ig].map((s) => [s?.id, s?.apply]),
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
    ],
  );
  assert.deepEqual(
    [hc, ig].map((s) => s?.inverse),
    [
      { kind: 'patchHealthCheck', healthCheck: 'web-hc', type: 'HTTP', port: 8080, requestPath: '/healthz' },
      {
        kind: 'setNamedPorts',
        instanceGroup: 'web-ig',
        zone: 'z1',
        namedPorts: [{ name: 'http', port: 8080 }],
      },
    ],
  );
  assert.equal(fw?.apply.kind, 'insertFirewall');
  assert.equal(p.steps.length, 3);
  assert.equal(p.dryRun, false);
  assert.equal(p.approval.mode, 'auto');
  assert.deepEqual(p.escalations, []);
  const text = renderPlan(p);
  assert.match(
    text,
    /~ healthCheck web-hc[^\n]*\n\s+httpHealthCheck\.port: 8080 → 9090\n\s+also affects: nothing beyond web-bs/,
  );
  assert.match(text, /~ instanceGroup z1\/web-ig[^\n]*\n\s+namedPorts: http:8080 → http:9090/);
  assert.match(text, /\+ firewall lbmedic-allow-health-checks-default-9090-[0-9a-f]{8} /);
  assert.doesNotMatch(text, /timeoutSec/);
});

const withPolicies = (...extra: Policy[]): PolicySet => ({
  settings: shipped.settings,
  approvers: shipped.approvers,
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
    more: Record<string, unknown> = {},
  ) =>
    Policy.parse({
      name,
      priority: 5,
      match: { causes: [cause] },
      action: { type: action },
      approval: { mode: 'manual', approvers, required, timeout, ...more },
    });
  const [ann, bob, cyd] = ['ann', 'bob', 'cyd'].map((name) => ({
    name,
    keys: [{ key: sshKeygen(name).publicKey }],
  }));
  const registered = (set: PolicySet): PolicySet => ({
    ...set,
    approvers: [...set.approvers, ann!, bob!, cyd!],
  });
  const set = registered(
    withPolicies(
      manual('hc-manual', 'HEALTH_CHECK_MISMATCH', 'patchHealthCheck', ['ann', 'bob', 'cyd'], 1, '2h'),
      manual('fw-manual', 'FIREWALL_BLOCKS_PROBES', 'allowProbesInFirewall', ['bob', 'cyd'], 2, '30m', {
        approvalTtl: '10m',
      }),
    ),
  );
  const p = plan(evidence(broken({ appPort: 9090 })), set, {});
  assert.deepEqual(p.approval, {
    mode: 'manual',
    approvers: ['bob', 'cyd'],
    authentication: 'signed',
    signers: [bob, cyd],
    ttlSec: 600,
    required: 2,
    allowSelfApproval: false,
    timeoutSec: 1800,
    onTimeout: 'escalate',
    cancelOnIncidentClosed: false,
  });
  assert.deepEqual(p.policies, ['fw-manual', 'hc-manual', 'named-port-mismatch']);
  assert.equal(p.dryRun, false);
  const text = renderPlan(p);
  assert.match(text, /approval: {5}manual, 2 of bob, cyd \(not the trigger\), within 30m, then escalate/);
  assert.match(
    text,
    /signatures: {3}required: SSH-signed by a registered key, bound to this plan's hash, counting for 10m/,
  );

  // Lists with nobody in common: nobody could approve, so nothing is applied.
  const disjoint = plan(
    evidence(broken({ appPort: 9090 })),
    registered(
      withPolicies(
        manual('hc-manual', 'HEALTH_CHECK_MISMATCH', 'patchHealthCheck', ['ann'], 1, '2h'),
        manual('fw-manual', 'FIREWALL_BLOCKS_PROBES', 'allowProbesInFirewall', ['bob'], 1, '30m'),
      ),
    ),
  );
  assert.equal(disjoint.dryRun, true);
  assert.match(disjoint.dryRunReasons.join(), /no approver in common: nobody could approve/);

  // Open only when every manual policy says so, and then every plan says it is open.
  const open = { authentication: 'open' };
  const mixed = plan(
    evidence(broken({ appPort: 9090 })),
    registered(
      withPolicies(
        manual('hc-manual', 'HEALTH_CHECK_MISMATCH', 'patchHealthCheck', [], 1, '2h', open),
        manual('fw-manual', 'FIREWALL_BLOCKS_PROBES', 'allowProbesInFirewall', [], 1, '30m'),
      ),
    ),
  );
  assert.equal(mixed.approval.authentication, 'signed');
  assert.deepEqual(
    mixed.approval.signers.map((x) => x.name),
    ['fixture@example.com', 'ann', 'bob', 'cyd'],
  );
  const allOpen = plan(
    evidence(broken({ appPort: 9090 })),
    withPolicies(
      manual('hc-manual', 'HEALTH_CHECK_MISMATCH', 'patchHealthCheck', [], 1, '2h', open),
      manual('fw-manual', 'FIREWALL_BLOCKS_PROBES', 'allowProbesInFirewall', ['bob'], 1, '30m', open),
    ),
  );
  assert.equal(allOpen.approval.authentication, 'open');
  assert.deepEqual(allOpen.approval.signers, []);
  assert.match(
    renderPlan(allOpen),
    /signatures: {3}OPEN: approvals are not signed; anyone who can signal the workflow can approve as anyone/,
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
