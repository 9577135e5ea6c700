/**
 * Workflow histories to and from the JSON form that `temporal workflow show -o json`, the Web UI and
 * the SDK's `historyToJSON` produce (protobuf's canonical JSON mapping).
 *
 * Why not `historyToJSON` / `historyFromJSON` from `@temporalio/common`: they take the History type
 * from `@temporalio/proto` and the JSON codec from `@temporalio/common`'s own `protobufjs`. In this
 * project npm cannot hoist Temporal's protobufjs 8 (the Google clients hold protobufjs 7 at the top),
 * so each @temporalio package gets its own copy, the codec's `instanceof Type` check fails and both
 * functions throw "type must be a Type". Taking the codec from the copy that `@temporalio/proto` itself
 * resolves keeps type and codec together whatever the install layout.
 */
import { createRequire } from 'node:module';
import type { History } from '@temporalio/common/lib/proto-utils';
import proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}

const fromProto = createRequire(createRequire(import.meta.url).resolve('@temporalio/proto'));
const protojson = fromProto('protobufjs/ext/protojson') as ProtoJson;
const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }).lookupType(
  'temporal.api.history.v1.History',
);

/** A history as canonical protobuf JSON (eventId as a string, enums as EVENT_TYPE_…). */
export function historyToJson(history: History): unknown {
  return protojson.toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history));
}

/** Parses what {@link historyToJson} wrote, ignoring fields a newer server may add. */
export function historyFromJson(json: unknown): History {
  return protojson.fromJson(historyType, json, { ignoreUnknownFields: true }) as History;
}
