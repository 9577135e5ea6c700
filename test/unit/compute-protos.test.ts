import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type * as GoogleGax from 'google-gax';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { COMPUTE_SERVICES } from '../../activities/gcp-clients';
import { COMPUTE_PROTOS_PATH, trimComputeProtos, type ProtoNamespace } from '../../activities/compute-protos';

const require = createRequire(import.meta.url);
const { protobuf } = require('google-gax') as typeof GoogleGax;
const full = JSON.parse(readFileSync(COMPUTE_PROTOS_PATH, 'utf8')) as ProtoNamespace;
const v1 = (root: ProtoNamespace) =>
  root.nested!['google']!.nested!['cloud']!.nested!['compute']!.nested!['v1']!.nested!;

test('the trimmed Compute protos resolve every type the kept services reach', () => {
  const trimmed = trimComputeProtos(full, COMPUTE_SERVICES);
  // resolveAll throws on any type reference the trimming dropped.
  const root = protobuf.Root.fromJSON(trimmed as protobuf.INamespace).resolveAll();
  for (const service of COMPUTE_SERVICES) {
    const s = root.lookupService(`google.cloud.compute.v1.${service}`);
    assert.deepEqual(Object.keys(s.methods), Object.keys(v1(full)[service]!.methods!), service);
  }
  const kept = Object.keys(v1(trimmed)).length;
  const all = Object.keys(v1(full)).length;
  assert.ok(kept < all / 2, `kept ${kept} of ${all} compute v1 types`);
  // Namespaces outside compute v1 (google.rpc for error details, google.protobuf, …) stay whole.
  assert.deepEqual(trimmed.nested!['google']!.nested!['rpc'], full.nested!['google']!.nested!['rpc']);
});

test('trimming leaves the full protos untouched and names a missing service', () => {
  const before = Object.keys(v1(full)).length;
  trimComputeProtos(full, ['Firewalls']);
  assert.equal(Object.keys(v1(full)).length, before);
  assert.throws(() => trimComputeProtos(full, ['NoSuchService']), /no service NoSuchService/);
});
