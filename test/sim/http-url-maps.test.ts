/** The simulator's `urlMaps.get`, derived from the backend services' frontends, through the real client. */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { createUrlMapResolver } from '../../activities/url-maps';
import { GoogleApiError } from '../../activities/google-errors';
import { startSim, type SimHarness } from '../helpers/sim';

const SHARED = fileURLToPath(new URL('../fixtures/alerts/shared-url-map.yaml', import.meta.url));
const BS = 'https://www.googleapis.com/compute/v1/projects/demo-project/global/backendServices';

let sim: SimHarness;
before(async () => {
  sim = await startSim(SHARED);
});
after(async () => {
  await sim?.stop();
});

test('urlMaps.get: a map in front of two services names both (default service + a path rule)', async () => {
  const [map] = await sim.clients.urlMaps.get({ project: sim.project, urlMap: 'shop-map' });
  assert.equal(map.name, 'shop-map');
  assert.equal(
    map.selfLink,
    'https://www.googleapis.com/compute/v1/projects/demo-project/global/urlMaps/shop-map',
  );
  assert.equal(map.defaultService, `${BS}/shop-api-bs`);
  assert.deepEqual(
    map.hostRules?.map((r) => [r.hosts, r.pathMatcher]),
    [[['*'], 'path-matcher-1']],
  );
  assert.deepEqual(
    map.pathMatchers?.[0]?.pathRules?.map((r) => [r.paths, r.service]),
    [[['/shop-web-bs/*'], `${BS}/shop-web-bs`]],
  );
});

test('urlMaps.get: a map in front of one service has no path matchers', async () => {
  const [map] = await sim.clients.urlMaps.get({ project: sim.project, urlMap: 'other-bs-map' });
  assert.equal(map.defaultService, `${BS}/other-bs`);
  assert.deepEqual(map.pathMatchers, []);
});

test('urlMaps.get: an unknown map is a 404 in Google error JSON', async () => {
  await assert.rejects(
    sim.clients.urlMaps.get({ project: sim.project, urlMap: 'nope-map' }),
    (err: unknown) => err instanceof GoogleApiError && err.status === 404 && !err.retryable,
  );
});

test('the resolver lists every backend service behind a URL map', async () => {
  const resolve = createUrlMapResolver(sim.clients);
  assert.deepEqual(await resolve(sim.project, 'shop-map'), ['shop-api-bs', 'shop-web-bs']);
  assert.deepEqual(await resolve(sim.project, 'other-bs-map'), ['other-bs']);
});
