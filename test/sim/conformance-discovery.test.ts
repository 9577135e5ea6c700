/**
 * Conformance, judged by Google's own API description rather than by our tests: every route the
 * simulator serves must be a method of the Compute v1, Logging v2 or Monitoring v3 discovery
 * document (same verb, same path), and every answer it gives, for every shipped scenario, must fit the
 * method's response schema: no field the schema lacks, JSON types as the schema says (int64 and uint64
 * as strings), enum values from the enum. The documents are the ones google-api-python-client 2.202.0
 * ships (compute.v1 revision 20261106), installed by `npm run tools`.
 *
 * The routes come from the running server (`GET /_sim/routes`), so a route added to the simulator is
 * checked without touching this file, and each is exercised by the rules in `exerciser.ts`: reads
 * resolve their names from the list they belong to; custom verbs and inserts are looked up in a table
 * there, and a route none of them can exercise fails the test by name.
 */
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadDiscovery, methodFor } from '../helpers/discovery';
import { Exerciser, type ServedRoute } from './exerciser';
import type { Sim } from './http-harness';
import { startSim } from './http-harness';

/** Scenarios of resources no shipped scenario has yet (test/fixtures/scenarios/). */
const FIXTURES = ['conformance-zonal-neg'].map((name) =>
  readFileSync(new URL(`../fixtures/scenarios/${name}.yaml`, import.meta.url), 'utf8'),
);

const documents = [loadDiscovery('compute.v1'), loadDiscovery('logging.v2'), loadDiscovery('monitoring.v3')];

let sim: Sim;
let routes: ServedRoute[];

before(async () => {
  sim = await startSim('healthy');
  routes = (await sim.call('GET', '/_sim/routes')).json['routes'] as ServedRoute[];
});

after(async () => {
  await sim.close();
});

test('every route the simulator serves is a method of a Google discovery document', () => {
  assert.ok(routes.length >= 30, `only ${routes.length} routes listed`);
  const unknown = routes
    .filter((r) => methodFor(documents, r.method, r.template) === undefined)
    .map((r) => `${r.method} ${r.template}`);
  assert.deepEqual(unknown, [], `routes that are no Google method:\n${unknown.join('\n')}`);
});

test('every answer of every route, for every shipped scenario, fits its discovery schema', async () => {
  const scenarios = (await sim.call('GET', '/_sim/scenarios')).json['scenarios'] as string[];
  const exerciser = new Exerciser(sim, routes, documents);
  const loads = [...scenarios.map((name) => ({ name })), ...FIXTURES.map((yaml) => ({ yaml }))];
  for (const load of loads) {
    const loaded = await sim.call('POST', '/_sim/scenario', load);
    assert.equal(loaded.status, 200, JSON.stringify(loaded.json));
    const project = String(loaded.json['project']);
    await exerciser.run('name' in load ? load.name : 'fixture', project);
    if (project !== sim.project) await sim.call('DELETE', `/_sim/projects/${project}`);
  }
  const report = exerciser.report();
  assert.deepEqual(report.mismatches, [], `answers that do not fit:\n${report.mismatches.join('\n')}`);
  assert.deepEqual(report.failures, [], `calls that failed:\n${report.failures.join('\n')}`);
  assert.deepEqual(report.unexercised, [], `routes never answered 200:\n${report.unexercised.join('\n')}`);
  assert.ok(report.validated > 100, `only ${report.validated} answers validated`);
});
