/**
 * The governor's URL map read (activities/url-maps.ts `resolveUrlMap`), in the worker: only the
 * backend services inside the worker's scope are admitted, and a URL map that routes only outside it
 * is out of scope (the receiver, which cannot read URL maps, answers `out-of-scope`). The URL map
 * comes from a stub of the `urlMaps` client, shaped as the Compute API returns it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createUrlMapActivities } from '../../activities/url-maps';
import type { GcpClients } from '../../activities/gcp-clients';
import type { Scope } from '../../core/scope';

const service = (name: string) =>
  `https://www.googleapis.com/compute/v1/projects/p-1/global/backendServices/${name}`;

/** A `urlMaps` client whose one URL map routes to `shop-web-bs` by default and `shop-api-bs` for /api. */
const urlMaps = {
  get: async () => [
    {
      defaultService: service('shop-web-bs'),
      pathMatchers: [
        { defaultService: service('shop-web-bs'), pathRules: [{ service: service('shop-api-bs') }] },
      ],
    },
  ],
} as unknown as GcpClients['urlMaps'];

const scope = (exclude: string[]): Scope => ({
  projects: ['p-*'],
  backendServices: { include: [], exclude },
  networks: [],
});

test('a URL map read by the worker keeps only the backend services inside its scope', async () => {
  const { resolveUrlMap } = createUrlMapActivities({ urlMaps }, scope(['shop-web-*']));
  assert.deepEqual(await resolveUrlMap({ project: 'p-1', urlMap: 'shop-map' }), {
    services: ['shop-api-bs'],
  });
});

test('a URL map that routes only outside the scope is out of scope, saying why', async () => {
  const { resolveUrlMap } = createUrlMapActivities({ urlMaps }, scope(['shop-*']));
  const r = await resolveUrlMap({ project: 'p-1', urlMap: 'shop-map' });
  assert.ok('outOfScope' in r, JSON.stringify(r));
  assert.match(r.outOfScope, /backend service shop-web-bs is excluded/);
  assert.match(r.outOfScope, /backend service shop-api-bs is excluded/);
});
