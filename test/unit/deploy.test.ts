/**
 * Least privilege in deploy/ and docker-compose.yml, by their shape: firewall writes only in their
 * own role, bound with an IAM condition on the rule name whose prefix is the one lbmedic names its
 * rules with; the receiver published on loopback by default; a scope required.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import { classify } from '../../core/classify';
import { OWNED_NAME_PREFIX } from '../../core/ownership';
import { buildPlan } from '../../core/plan';
import { Policy } from '../../policies/schema';
import { PROJECT_ROOT } from '../../runtime/temporal-binaries';
import { shippedPolicies } from '../helpers/approvers';
import { broken, evidence } from '../helpers/evidence-fixture';

const read = (file: string): unknown => parse(readFileSync(`${PROJECT_ROOT}/${file}`, 'utf8'));
const permissions = (file: string) => (read(file) as { includedPermissions: string[] }).includedPermissions;
const FIREWALL_WRITES = ['compute.firewalls.create', 'compute.firewalls.update', 'compute.firewalls.delete'];

test('the worker’s role holds no firewall write; the firewall role holds only those', () => {
  const worker = permissions('deploy/lbmedic-role.yaml');
  for (const p of [...FIREWALL_WRITES, 'compute.networks.updatePolicy']) assert.ok(!worker.includes(p), p);
  assert.ok(worker.includes('compute.firewalls.list'), 'the diagnosis still reads every rule');
  assert.deepEqual(
    permissions('deploy/lbmedic-firewall-role.yaml').sort(),
    [...FIREWALL_WRITES, 'compute.networks.updatePolicy'].sort(),
  );
});

test('the IAM condition: firewall rules named with lbmedic’s prefix, nothing else of type Firewall', () => {
  const condition = read('deploy/lbmedic-firewall-condition.yaml') as Record<string, string>;
  assert.deepEqual(Object.keys(condition).sort(), ['description', 'expression', 'title']);
  assert.ok(condition.title && condition.title.length <= 100, 'gcloud needs a title');
  assert.equal(
    condition.expression,
    `resource.type != "compute.googleapis.com/Firewall" || resource.name.extract("/firewalls/{name}").startsWith("${OWNED_NAME_PREFIX}")`,
  );
  const role = readFileSync(`${PROJECT_ROOT}/deploy/lbmedic-firewall-role.yaml`, 'utf8');
  assert.match(
    role,
    /--condition-from-file deploy\/lbmedic-firewall-condition\.yaml/,
    'the role says how to bind it',
  );
});

test('the rules lbmedic creates carry the prefix the condition grants; a policy cannot name others', () => {
  const shipped = shippedPolicies().policies.find((p) => p.name === 'firewall-blocks-probes');
  assert.equal(shipped?.action.type, 'allowProbesInFirewall');
  assert.ok((shipped?.action as { namePrefix: string }).namePrefix.startsWith(OWNED_NAME_PREFIX));
  // firewall-missing: no rule admits the probes, so the plan inserts one.
  const ev = evidence(broken({ firewallPort: undefined }));
  const plan = buildPlan(ev, classify(ev), shippedPolicies(), {});
  const inserted = plan.steps.filter((s) => s.apply.kind === 'insertFirewall');
  assert.equal(inserted.length, 1, JSON.stringify(plan.steps.map((s) => s.id)));
  assert.ok(inserted[0]!.resource.name.startsWith(OWNED_NAME_PREFIX), inserted[0]!.resource.name);
  const other = Policy.safeParse({
    name: 'fw',
    match: { causes: ['FIREWALL_BLOCKS_PROBES'] },
    action: { type: 'allowProbesInFirewall', namePrefix: 'allow-hc' },
  });
  assert.match(
    other.error?.issues[0]?.message ?? '',
    /must start with lbmedic-: lbmedic may write only the firewall rules it owns/,
  );
});

test('docker-compose: the receiver on loopback unless LBMEDIC_RECEIVER_BIND says otherwise; a scope required', () => {
  const compose = readFileSync(`${PROJECT_ROOT}/docker-compose.yml`, 'utf8');
  const doc = parse(compose, { merge: true }) as {
    services: Record<string, { ports?: string[]; environment?: Record<string, string> }>;
  };
  assert.deepEqual(doc.services['lbmedic-receiver']?.ports, [
    '${LBMEDIC_RECEIVER_BIND:-127.0.0.1}:8787:8787',
  ]);
  for (const [name, service] of Object.entries(doc.services))
    for (const port of service.ports ?? [])
      assert.match(port, /^(\$\{LBMEDIC_RECEIVER_BIND:-)?127\.0\.0\.1/, name);
  for (const name of ['lbmedic-worker', 'lbmedic-receiver'])
    assert.match(
      doc.services[name]?.environment?.LBMEDIC_SCOPE ?? '',
      /^\$\{LBMEDIC_SCOPE:\?set LBMEDIC_SCOPE/,
      name,
    );
  assert.match(compose, /HTTPS reverse proxy/);
});
