import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseResourceUrl, resourceName, sameResource, selfLink } from '../../simulator/urls';

const BASE = 'https://www.googleapis.com/compute/v1/projects/p';

test('selfLink builds global, zonal and regional URLs', () => {
  assert.equal(selfLink('p', 'healthChecks', 'hc'), `${BASE}/global/healthChecks/hc`);
  assert.equal(
    selfLink('p', 'instanceGroups', 'ig', 'us-central1-a'),
    `${BASE}/zones/us-central1-a/instanceGroups/ig`,
  );
  assert.equal(
    selfLink('p', 'networkEndpointGroups', 'neg', 'us-central1'),
    `${BASE}/regions/us-central1/networkEndpointGroups/neg`,
  );
});

test('parseResourceUrl reads full and partial URLs', () => {
  const cases: [string, ReturnType<typeof parseResourceUrl>][] = [
    [
      `${BASE}/zones/us-central1-a/instanceGroups/ig`,
      { project: 'p', zone: 'us-central1-a', kind: 'instanceGroups', name: 'ig' },
    ],
    [
      'https://compute.googleapis.com/compute/v1/projects/p/global/healthChecks/hc',
      { project: 'p', kind: 'healthChecks', name: 'hc' },
    ],
    [
      'projects/p/regions/us-central1/networkEndpointGroups/neg',
      { project: 'p', region: 'us-central1', kind: 'networkEndpointGroups', name: 'neg' },
    ],
    ['zones/us-central1-a/instances/vm', { zone: 'us-central1-a', kind: 'instances', name: 'vm' }],
    ['global/firewalls/fw', { kind: 'firewalls', name: 'fw' }],
    ['fw', undefined],
    [`${BASE}/global/backendServices/bs/getHealth`, undefined],
  ];
  for (const [url, expected] of cases) assert.deepEqual(parseResourceUrl(url), expected, url);
});

test('resourceName and sameResource', () => {
  assert.equal(resourceName(`${BASE}/global/networks/default`), 'default');
  assert.equal(resourceName('default'), 'default');
  assert.ok(sameResource(`${BASE}/global/networks/default`, 'projects/p/global/networks/default'));
  assert.ok(sameResource(`${BASE}/global/networks/default`, 'global/networks/default'));
  assert.ok(!sameResource(`${BASE}/global/networks/default`, 'projects/q/global/networks/default'));
  assert.ok(
    !sameResource(
      `${BASE}/zones/us-central1-a/instanceGroups/ig`,
      `${BASE}/zones/us-central1-b/instanceGroups/ig`,
    ),
  );
});
