import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Policy, PolicySettings, type PolicySet } from '../../policies/schema';
import { globMatch } from '../../core/glob';
import { candidates, selectPolicy } from '../../policies/select';
import { loadPolicies, PolicyError } from '../../runtime/policy-loader';
import { shippedPolicies } from '../helpers/approvers';

test('every shipped policy validates, one per root cause', () => {
  const set = shippedPolicies();
  assert.equal(set.settings.killSwitch, false);
  const causes = set.policies.flatMap((p) => p.match.causes).sort();
  assert.deepEqual(causes, [
    'BACKEND_TIMEOUT',
    'EXTERNAL_BACKEND_DOWN',
    'FIREWALL_BLOCKS_PROBES',
    'HEALTH_CHECK_MISMATCH',
    'KEEPALIVE_TOO_SHORT',
    'NAMED_PORT_MISMATCH',
    'NEG_MISCONFIGURED',
  ]);
  const escalating = set.policies.filter((p) => p.action.type === 'escalate').flatMap((p) => p.match.causes);
  assert.deepEqual(
    escalating.sort(),
    ['EXTERNAL_BACKEND_DOWN', 'KEEPALIVE_TOO_SHORT', 'NEG_MISCONFIGURED'],
    'keepalive, NEG and external-backend causes escalate',
  );
});

const minimal = 'name: p\nmatch:\n  causes: [HEALTH_CHECK_MISMATCH]\naction:\n  type: patchHealthCheck\n';

test('invalid policy files fail with file, line, path and what is expected', () => {
  const rows: { name: string; text: string; expect: RegExp }[] = [
    {
      name: 'unknown cause',
      text: minimal.replace('HEALTH_CHECK_MISMATCH', 'DNS'),
      expect: /p\.yaml:3:\d+ match\.causes\[0\]: Invalid option: expected one of/,
    },
    {
      name: 'no causes',
      text: minimal.replace('[HEALTH_CHECK_MISMATCH]', '[]'),
      expect: /match\.causes: Too small/,
    },
    {
      name: 'unknown action',
      text: minimal.replace('patchHealthCheck', 'rebootVm'),
      expect: /action\.type: /,
    },
    {
      name: 'action that cannot fix the cause',
      text: minimal.replace('HEALTH_CHECK_MISMATCH', 'KEEPALIVE_TOO_SHORT'),
      expect:
        /action\.type: action patchHealthCheck cannot remedy KEEPALIVE_TOO_SHORT \(match\.causes\[0\]\); allowed: escalate/,
    },
    { name: 'bad port', text: minimal + '  port: 70000\n', expect: /p\.yaml:6:\d+ action\.port: Too big/ },
    {
      name: 'bad duration',
      text: minimal + 'approval:\n  timeout: soon\n',
      expect: /approval\.timeout: expected a duration such as 90s, 30m, 2h or 1d/,
    },
    {
      name: 'more approvals than approvers',
      text: minimal + 'approval:\n  mode: manual\n  approvers: [a@x]\n  required: 2\n',
      expect: /approval\.required: required approvals exceed the number of approvers/,
    },
    {
      name: 'unknown key (typo)',
      text: minimal + 'dryrun: true\n',
      expect: /\(document\): Unrecognized key: "dryrun"/,
    },
    {
      name: 'fraction over 1',
      text: minimal + 'verification:\n  healthyFraction: 1.5\n',
      expect: /verification\.healthyFraction: Too big/,
    },
    {
      name: 'bad glob',
      text: minimal.replace('  causes:', '  backendServices: ["web bs"]\n  causes:'),
      expect: /match\.backendServices\[0\]: expected a name or a glob/,
    },
    {
      name: 'bad name',
      text: minimal.replace('name: p', 'name: Fix_It'),
      expect: /name: expected a lowercase name/,
    },
    { name: 'YAML syntax', text: 'name: p\nmatch: [oops\n', expect: /p\.yaml:\d+:\d+ \(document\): YAML: / },
    {
      name: 'YAML alias bomb',
      text: `${minimal}a: &a [x, x, x, x, x, x, x, x, x]\n${'bcdefgh'
        .split('')
        .map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(', ')}]`)
        .join('\n')}\n`,
      expect: /^ {2}p\.yaml \(document\): YAML: Excessive alias count/m,
    },
    // Safety switched off (issue 14): each refused at its line, with the bound and why.
    {
      name: 'no cooldown',
      text: minimal + 'limits:\n  cooldown: 0s\n',
      expect: /p\.yaml:7:\d+ limits\.cooldown: must be at least 5m: a fix must be seen to hold/,
    },
    {
      name: 'no rollback',
      text: minimal + 'rollback: never\n',
      expect:
        /p\.yaml:6:\d+ rollback: must be auto: a change that does not heal the backends is always rolled back/,
    },
    {
      name: 'a 0 s verification window',
      text: minimal + 'verification:\n  deadline: 0s\n',
      expect: /p\.yaml:7:\d+ verification\.deadline: must be at least 20s: twice the default health check/,
    },
    {
      name: 'a verification window past the wait lbmedic can hold',
      text: minimal + 'verification:\n  deadline: 2h\n',
      expect: /verification\.deadline: must be at most 30m/,
    },
    {
      name: 'a tiny healthy fraction',
      text: minimal + 'verification:\n  healthyFraction: 0.0001\n',
      expect: /p\.yaml:7:\d+ verification\.healthyFraction: must be at least 0\.5/,
    },
    {
      name: 'a day-long backend timeout',
      text: 'name: p\nmatch:\n  causes: [BACKEND_TIMEOUT]\naction:\n  type: raiseBackendTimeout\n  maxTimeoutSec: 86400\n',
      expect: /p\.yaml:6:\d+ action\.maxTimeoutSec: must be at most 600/,
    },
    {
      name: 'an approval wait past a day',
      text: minimal + 'approval:\n  mode: manual\n  timeout: 2d\n',
      expect: /p\.yaml:8:\d+ approval\.timeout: must be at most 24h/,
    },
    {
      name: 'a request path that climbs out',
      text: minimal + '  requestPath: /../../etc/passwd\n',
      expect: /p\.yaml:6:\d+ action\.requestPath: must be an absolute, normalised path/,
    },
    {
      name: 'an encoded climb',
      text: minimal + '  requestPath: /health/%2e%2e/admin\n',
      expect: /action\.requestPath: must be an absolute, normalised path/,
    },
    {
      name: 'a relative path',
      text: minimal + '  requestPath: healthz\n',
      expect: /action\.requestPath: must be an absolute, normalised path/,
    },
    {
      name: 'an unsafe block without a reason',
      text: minimal + 'unsafe:\n  cooldown: 0s\n',
      expect: /unsafe\.reason: /,
    },
  ];
  for (const row of rows) {
    const dir = mkdtempSync(join(tmpdir(), 'lbmedic-pol-'));
    try {
      writeFileSync(join(dir, 'p.yaml'), row.text);
      assert.throws(
        () => loadPolicies(dir),
        (err: unknown) => err instanceof PolicyError && row.expect.test(err.message),
        `${row.name}: ${(() => {
          try {
            loadPolicies(dir);
            return 'no error';
          } catch (e) {
            return (e as Error).message;
          }
        })()}`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('a folder: duplicate names, an empty folder, a missing folder, a broken settings file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lbmedic-pol-'));
  try {
    assert.throws(() => loadPolicies(dir), /no policy files/);
    writeFileSync(join(dir, 'a.yaml'), minimal);
    writeFileSync(join(dir, 'b.yaml'), minimal);
    writeFileSync(join(dir, 'settings.yaml'), 'killSwitch: maybe\n');
    assert.throws(
      () => loadPolicies(dir),
      (err: unknown) =>
        err instanceof PolicyError &&
        err.issues.length === 2 &&
        /b\.yaml name: policy name "p" is already used by a\.yaml/.test(err.message) &&
        /settings\.yaml:1:\d+ killSwitch: Invalid input: expected boolean/.test(err.message),
    );
    assert.throws(() => loadPolicies(join(dir, 'nope')), /cannot read the policy folder/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('globs', () => {
  const rows: [string, string, boolean][] = [
    ['*', 'web-bs', true],
    ['web-*', 'web-bs', true],
    ['web-*', 'api-bs', false],
    ['web-b?', 'web-bs', true],
    ['web.bs', 'webxbs', false],
    ['web-bs', 'web-bs', true],
  ];
  for (const [glob, name, expected] of rows)
    assert.equal(globMatch(glob, name), expected, `${glob} ~ ${name}`);
});

const policy = (over: Record<string, unknown>) =>
  Policy.parse({
    match: { causes: ['HEALTH_CHECK_MISMATCH'] },
    action: { type: 'patchHealthCheck' },
    ...over,
  });

test('precedence: priority, then specificity, then name; non-matching selectors are out', () => {
  const set: PolicySet = {
    settings: PolicySettings.parse({}),
    approvers: [],
    policies: [
      policy({ name: 'default' }),
      policy({ name: 'web-glob', match: { causes: ['HEALTH_CHECK_MISMATCH'], backendServices: ['web-*'] } }),
      policy({
        name: 'web-exact',
        match: { causes: ['HEALTH_CHECK_MISMATCH'], backendServices: ['web-bs'] },
      }),
      policy({
        name: 'prod-labelled',
        match: { causes: ['HEALTH_CHECK_MISMATCH'], backendServices: ['web-bs'], labels: { env: 'prod' } },
      }),
      policy({
        name: 'other-project',
        match: { causes: ['HEALTH_CHECK_MISMATCH'], projects: ['staging-*'] },
      }),
      policy({ name: 'urgent', priority: 10 }),
      policy({ name: 'aaa-same-as-default' }),
    ],
  };
  const ctx = { project: 'prod-1', backendService: 'web-bs', labels: {} };
  assert.deepEqual(
    candidates(set, 'HEALTH_CHECK_MISMATCH', ctx).map((c) => c.policy.name),
    ['urgent', 'web-exact', 'web-glob', 'aaa-same-as-default', 'default'],
  );
  assert.equal(
    selectPolicy(set, 'HEALTH_CHECK_MISMATCH', { ...ctx, labels: { env: 'prod' } })?.name,
    'urgent',
  );
  const noUrgent = { ...set, policies: set.policies.filter((p) => p.name !== 'urgent') };
  assert.equal(
    selectPolicy(noUrgent, 'HEALTH_CHECK_MISMATCH', { ...ctx, labels: { env: 'prod' } })?.name,
    'prod-labelled',
  );
  assert.equal(
    selectPolicy(noUrgent, 'HEALTH_CHECK_MISMATCH', { ...ctx, backendService: 'api' })?.name,
    'aaa-same-as-default',
  );
  assert.equal(selectPolicy(noUrgent, 'BACKEND_TIMEOUT', ctx), undefined);
});
