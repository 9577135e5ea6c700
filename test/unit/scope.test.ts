/**
 * Scope (core/scope.ts) and its configuration (runtime/config.ts): what is inside, what is not and
 * why, and the settings that refuse to start without one against Google Cloud.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  describeScope,
  scopeFactsOf,
  scopeOfProjects,
  scopeProblem,
  scopeProblemOfFacts,
  type Scope,
} from '../../core/scope';
import { loadConfig, scopeFrom } from '../../runtime/config';
import { broken, evidence, NET } from '../helpers/evidence-fixture';

const scope: Scope = {
  projects: ['shop-prod', 'acme-*'],
  backendServices: { include: ['web-*', 'api-bs'], exclude: ['web-canary*'] },
  networks: ['default'],
};

test('scopeProblem: projects (ids and globs), included and excluded backend services, networks', () => {
  const rows: [Parameters<typeof scopeProblem>[1], RegExp | undefined][] = [
    [{ project: 'shop-prod' }, undefined],
    [{ project: 'acme-eu-1', backendService: 'web-bs' }, undefined],
    [{ project: 'shop-prod', backendService: 'api-bs', network: 'default' }, undefined],
    [{ project: 'shop-prod', backendService: 'web-bs', network: `${NET}` }, undefined],
    [
      { project: 'other-project' },
      /^project other-project is not in lbmedic's scope \(projects shop-prod, acme-\*\)$/,
    ],
    [{ project: 'shop-prodx' }, /not in lbmedic's scope/],
    [
      { project: 'shop-prod', backendService: 'db-bs' },
      /backend service db-bs is not in lbmedic's scope \(backend services web-\*, api-bs\)/,
    ],
    [
      { project: 'shop-prod', backendService: 'web-canary-2' },
      /backend service web-canary-2 is excluded from lbmedic's scope \(web-canary\*\)/,
    ],
    [
      { project: 'shop-prod', backendService: 'web-bs', network: 'projects/p/global/networks/dmz' },
      /network dmz is not in lbmedic's scope \(networks default\)/,
    ],
  ];
  for (const [target, expected] of rows) {
    const problem = scopeProblem(scope, target);
    if (expected) assert.match(problem ?? '(inside)', expected, JSON.stringify(target));
    else assert.equal(problem, undefined, JSON.stringify(target));
  }
  assert.match(scopeProblem(scopeOfProjects([]), { project: 'shop-prod' }) ?? '', /\(no project\)/);
  const open = scopeOfProjects(['shop-prod']);
  assert.equal(
    scopeProblem(open, { project: 'shop-prod', backendService: 'any-bs', network: 'any' }),
    undefined,
  );
});

test('the scope on what the diagnosis read: the instance groups’ networks, or unknown ones refused', () => {
  const ev = evidence(broken({ appPort: 9090 }));
  const facts = scopeFactsOf(ev);
  assert.deepEqual(facts, { project: 'p', backendService: 'web-bs', networks: ['default'] });
  const inP: Scope = { ...scopeOfProjects(['p']), networks: ['default'] };
  assert.equal(scopeProblemOfFacts(inP, facts), undefined);
  assert.match(scopeProblemOfFacts({ ...inP, networks: ['prod'] }, facts) ?? '', /network default is not in/);
  const unread = scopeFactsOf({ ...ev, instanceGroups: { ok: false, error: '403 forbidden' } });
  assert.match(
    scopeProblemOfFacts(inP, unread) ?? '',
    /network of backend service web-bs is unknown \(its instance groups could not be read \(403 forbidden\)\)/,
  );
  assert.equal(scopeProblemOfFacts(scopeOfProjects(['p']), unread), undefined, 'no networks named: any');
  assert.match(scopeProblemOfFacts(scopeOfProjects(['q']), facts) ?? '', /project p is not/);
});

test('describeScope says it in one line', () => {
  assert.equal(
    describeScope(scope),
    'projects shop-prod, acme-*; backend services web-*, api-bs except web-canary*; networks default',
  );
  assert.equal(
    describeScope(scopeOfProjects(['a-project'])),
    'projects a-project; backend services all; networks any',
  );
});

test('against Google Cloud a scope must be set; the simulator defaults to LBMEDIC_PROJECT', () => {
  assert.throws(
    () => scopeFrom(loadConfig({ LBMEDIC_PROJECT: 'shop-prod' })),
    /no scope: against Google Cloud, set LBMEDIC_SCOPE to the projects lbmedic may act on/,
  );
  assert.throws(
    () => scopeFrom(loadConfig({ LBMEDIC_GCP_ENDPOINT: 'http://127.0.0.1:9' })),
    /set LBMEDIC_SCOPE \(or LBMEDIC_PROJECT\)/,
  );
  assert.deepEqual(
    scopeFrom(loadConfig({ LBMEDIC_GCP_ENDPOINT: 'http://127.0.0.1:9', LBMEDIC_PROJECT: 'demo-project' })),
    scopeOfProjects(['demo-project']),
  );
  assert.deepEqual(
    scopeFrom(loadConfig({}), ['demo-project']),
    scopeOfProjects(['demo-project']),
    'up --simulate',
  );
  const full = scopeFrom(
    loadConfig({
      LBMEDIC_SCOPE: 'shop-prod, acme-*',
      LBMEDIC_SCOPE_BACKEND_SERVICES: 'web-*,api-bs',
      LBMEDIC_SCOPE_EXCLUDE_BACKEND_SERVICES: 'web-canary*',
      LBMEDIC_SCOPE_NETWORKS: 'default',
    }),
    ['ignored-default'],
  );
  assert.deepEqual(full, scope, 'LBMEDIC_SCOPE wins over a default');
});

test('scope settings that are wrong fail fast, naming the variable and what to write', () => {
  const rows: [Record<string, string>, RegExp][] = [
    [
      { LBMEDIC_SCOPE: 'My Project' },
      /LBMEDIC_SCOPE: is not a project id \(such as my-project-123\) or a glob/,
    ],
    [{ LBMEDIC_SCOPE: '*' }, /LBMEDIC_SCOPE: must name projects: a scope of every project is no scope/],
    [{ LBMEDIC_SCOPE: ' , ' }, /LBMEDIC_SCOPE: must list at least one, separated by commas/],
    [
      { LBMEDIC_SCOPE_BACKEND_SERVICES: 'web bs' },
      /LBMEDIC_SCOPE_BACKEND_SERVICES: must be a backend service name or a glob/,
    ],
    [{ LBMEDIC_SCOPE_NETWORKS: 'Prod_VPC' }, /LBMEDIC_SCOPE_NETWORKS: is not a network name/],
  ];
  for (const [env, expected] of rows) assert.throws(() => loadConfig(env), expected, JSON.stringify(env));
});

test('maxAlertAge: 1h by default, a duration, at most half of Temporal’s shortest retention', () => {
  assert.equal(loadConfig({}).maxAlertAge, 3600);
  assert.equal(loadConfig({ LBMEDIC_MAX_ALERT_AGE: '15m' }).maxAlertAge, 900);
  assert.equal(loadConfig({ LBMEDIC_MAX_ALERT_AGE: '12h' }).maxAlertAge, 43_200);
  assert.throws(
    () => loadConfig({ LBMEDIC_MAX_ALERT_AGE: '13h' }),
    /LBMEDIC_MAX_ALERT_AGE: must be at most 12h, so a replayed incident is still remembered and never acts twice/,
  );
  assert.throws(
    () => loadConfig({ LBMEDIC_MAX_ALERT_AGE: '0s' }),
    /LBMEDIC_MAX_ALERT_AGE: must be longer than 0s/,
  );
  assert.throws(
    () => loadConfig({ LBMEDIC_MAX_ALERT_AGE: 'an hour' }),
    /LBMEDIC_MAX_ALERT_AGE: expected a duration/,
  );
});
