/**
 * The Compute protos lbmedic needs, and nothing else.
 *
 * Every generated Compute client loads `protos/protos.json`: all 123 services and 2,143 types of
 * compute v1 (11.7 MB), built into one protobufjs Root of about 40 MB of heap in each process that
 * makes a Compute client. lbmedic uses 12 of those services. `useTrimmedComputeProtos` puts a copy
 * holding only those services and the types they reach into Node's module cache under the file's
 * own path, before any Compute client module is loaded, so the clients build their Root from it.
 * Types outside compute v1 (google.api, google.rpc, google.protobuf, …) are kept whole.
 */
import Module, { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
export const COMPUTE_PROTOS_PATH = require.resolve('@google-cloud/compute/build/protos/protos.json');

/** The protobufjs JSON shape, as far as the trimming needs it. */
export interface ProtoNamespace {
  nested?: Record<string, ProtoNamespace>;
  fields?: Record<string, { type: string; keyType?: string }>;
  methods?: Record<string, { requestType: string; responseType: string; options?: Record<string, unknown> }>;
  [key: string]: unknown;
}

const V1_PATH = ['google', 'cloud', 'compute', 'v1'];
const V1_PREFIX = `${V1_PATH.join('.')}.`;

function v1Of(root: ProtoNamespace): Record<string, ProtoNamespace> {
  let ns: ProtoNamespace | undefined = root;
  for (const name of V1_PATH) ns = ns?.nested?.[name];
  if (!ns?.nested) throw new Error(`compute protos: no ${V1_PATH.join('.')} namespace`);
  return ns.nested;
}

/**
 * A copy of `full` whose compute v1 namespace holds only `services` and every type they reach
 * (method requests and responses, then field types, transitively). Throws if a service is missing.
 */
export function trimComputeProtos(full: ProtoNamespace, services: readonly string[]): ProtoNamespace {
  const v1 = v1Of(full);
  const keep = new Set<string>();
  const queue: string[] = [];
  const want = (topLevel: string) => {
    if (!keep.has(topLevel)) {
      keep.add(topLevel);
      queue.push(topLevel);
    }
  };
  /** The top-level v1 name a type reference starts with, if it is in compute v1. */
  const topLevelOf = (ref: string, scope: ProtoNamespace): string | undefined => {
    let name = ref.startsWith('.') ? ref.slice(1) : ref;
    if (name.startsWith(V1_PREFIX)) name = name.slice(V1_PREFIX.length);
    const first = name.split('.')[0]!;
    if (scope.nested?.[first]) return undefined; // nested in a type already kept
    return v1[first] ? first : undefined;
  };
  for (const service of services) {
    if (!v1[service]?.methods) throw new Error(`compute protos: no service ${service}`);
    want(service);
  }
  const visit = (def: ProtoNamespace) => {
    for (const m of Object.values(def.methods ?? {})) {
      for (const ref of [m.requestType, m.responseType]) {
        const top = topLevelOf(ref, def);
        if (top) want(top);
      }
      // e.g. (google.cloud.operation_service) = "GlobalOperations": the service polled for the result.
      for (const value of Object.values(m.options ?? {})) {
        if (typeof value === 'string' && v1[value]?.methods) want(value);
      }
    }
    for (const f of Object.values(def.fields ?? {})) {
      const top = topLevelOf(f.type, def);
      if (top) want(top);
    }
    for (const nested of Object.values(def.nested ?? {})) visit(nested);
  };
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) visit(v1[name]!);

  const copy = structuredClone(full);
  const v1Copy = v1Of(copy);
  for (const name of Object.keys(v1Copy)) if (!keep.has(name)) delete v1Copy[name];
  return copy;
}

/**
 * Makes every Compute client created from now on use the trimmed protos. Call it before the first
 * Compute client module is required; a no-op when protos.json is already loaded (whole).
 */
export function useTrimmedComputeProtos(services: readonly string[]): void {
  if (require.cache[COMPUTE_PROTOS_PATH]) return;
  const full = JSON.parse(readFileSync(COMPUTE_PROTOS_PATH, 'utf8')) as ProtoNamespace;
  const mod = new Module(COMPUTE_PROTOS_PATH);
  mod.filename = COMPUTE_PROTOS_PATH;
  mod.loaded = true;
  mod.exports = trimComputeProtos(full, services);
  require.cache[COMPUTE_PROTOS_PATH] = mod;
}
