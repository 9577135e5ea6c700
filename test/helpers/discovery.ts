/**
 * Google's API discovery documents as a judge of the simulator: which REST method a route is, and
 * whether an answer fits the method's response schema (field names, JSON types, enums, int64 as
 * strings). The documents come from the pinned PyPI package google-api-python-client
 * (`discovery_cache/documents/`), copied to `.tools/discovery/` by `npm run tools`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DISCOVERY_DIR = fileURLToPath(new URL('../../.tools/discovery/', import.meta.url));

/** A schema node as discovery documents write them. */
export interface DiscoverySchema {
  id?: string;
  type?: string;
  format?: string;
  $ref?: string;
  enum?: string[];
  items?: DiscoverySchema;
  properties?: Record<string, DiscoverySchema>;
  additionalProperties?: DiscoverySchema;
}

interface DiscoveryMethod {
  id: string;
  httpMethod: string;
  path: string;
  flatPath?: string;
  response?: { $ref: string };
}

interface DiscoveryResource {
  methods?: Record<string, DiscoveryMethod>;
  resources?: Record<string, DiscoveryResource>;
}

interface DiscoveryDocument {
  name: string;
  version: string;
  revision: string;
  servicePath: string;
  schemas: Record<string, DiscoverySchema>;
  resources: Record<string, DiscoveryResource>;
}

/** A REST method with its path as segments; `{…}` segments are parameters. */
export interface ApiMethod {
  id: string;
  httpMethod: string;
  segments: string[];
  response?: string;
  document: Discovery;
}

export class Discovery {
  readonly methods: ApiMethod[] = [];

  constructor(private readonly doc: DiscoveryDocument) {
    const walk = (resource: DiscoveryResource): void => {
      for (const method of Object.values(resource.methods ?? {})) {
        const path = `/${doc.servicePath}${method.flatPath ?? method.path}`;
        this.methods.push({
          id: method.id,
          httpMethod: method.httpMethod,
          segments: path.split('/').filter(Boolean),
          ...(method.response ? { response: method.response.$ref } : {}),
          document: this,
        });
      }
      for (const child of Object.values(resource.resources ?? {})) walk(child);
    };
    for (const resource of Object.values(doc.resources)) walk(resource);
  }

  get label(): string {
    return `${this.doc.name}.${this.doc.version} revision ${this.doc.revision}`;
  }

  schema(name: string): DiscoverySchema {
    const schema = this.doc.schemas[name];
    if (schema === undefined) throw new Error(`${this.label} has no schema ${name}`);
    return schema;
  }
}

/** Reads `.tools/discovery/<name>.json`; says how to get it when it is missing. */
export function loadDiscovery(name: 'compute.v1' | 'logging.v2' | 'monitoring.v3'): Discovery {
  const file = `${DISCOVERY_DIR}${name}.json`;
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: run \`npm run tools\` (it installs Google's discovery documents)`);
  }
  return new Discovery(JSON.parse(readFileSync(file, 'utf8')) as DiscoveryDocument);
}

/** The discovery method a simulator route template (`/compute/v1/projects/:project/…`) implements. */
export function methodFor(
  documents: readonly Discovery[],
  httpMethod: string,
  template: string,
): ApiMethod | undefined {
  const segments = template.split('/').filter(Boolean);
  for (const doc of documents) {
    const found = doc.methods.find(
      (m) =>
        m.httpMethod === httpMethod &&
        m.segments.length === segments.length &&
        m.segments.every((want, i) => {
          const got = segments[i] ?? '';
          const isParam = want.startsWith('{');
          return isParam ? got.startsWith(':') : want === got;
        }),
    );
    if (found) return found;
  }
  return undefined;
}

/** One way an answer departs from its schema, at a JSON path such as `items[0].backends[1].group`. */
export interface Mismatch {
  path: string;
  kind: 'unknown field' | 'type' | 'enum' | 'format';
  detail: string;
}

const INTEGER_STRING = /^-?\d+$/;
const DURATION = /^-?\d+(\.\d{1,9})?s$/;

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Every mismatch between `value` and `schema` (resolving `$ref` in the document). */
export function validate(doc: Discovery, schema: DiscoverySchema, value: unknown, path = ''): Mismatch[] {
  if (schema.$ref !== undefined) return validate(doc, doc.schema(schema.$ref), value, path);
  const at = path || '(answer)';
  const wrongType = (want: string): Mismatch[] => [
    { path: at, kind: 'type', detail: `want ${want}, got ${typeOf(value)} ${JSON.stringify(value)}` },
  ];
  switch (schema.type) {
    case 'any':
      return [];
    case 'boolean':
      return typeof value === 'boolean' ? [] : wrongType('boolean');
    case 'number':
      return typeof value === 'number' ? [] : wrongType(`number (${schema.format ?? 'double'})`);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value)
        ? []
        : wrongType(`integer (${schema.format ?? 'int32'}) as a JSON number`);
    case 'string':
      return validateString(schema, value, at);
    case 'array':
      if (!Array.isArray(value)) return wrongType('array');
      return value.flatMap((item, i) => validate(doc, schema.items ?? {}, item, `${path}[${i}]`));
    case 'object':
    case undefined: {
      if (typeOf(value) !== 'object') return wrongType('object');
      const record = value as Record<string, unknown>;
      const out: Mismatch[] = [];
      for (const [key, child] of Object.entries(record)) {
        const childPath = path ? `${path}.${key}` : key;
        const property = schema.properties?.[key] ?? schema.additionalProperties;
        if (property === undefined) {
          out.push({ path: childPath, kind: 'unknown field', detail: `not in ${schema.id ?? 'the schema'}` });
        } else {
          out.push(...validate(doc, property, child, childPath));
        }
      }
      return out;
    }
    default:
      return [{ path: at, kind: 'type', detail: `schema type ${schema.type} is not understood` }];
  }
}

function validateString(schema: DiscoverySchema, value: unknown, at: string): Mismatch[] {
  const format = schema.format;
  if (typeof value !== 'string') {
    const want = format === 'int64' || format === 'uint64' ? `${format} as a JSON string` : 'string';
    return [
      { path: at, kind: 'type', detail: `want ${want}, got ${typeOf(value)} ${JSON.stringify(value)}` },
    ];
  }
  if (schema.enum !== undefined && !schema.enum.includes(value)) {
    return [
      { path: at, kind: 'enum', detail: `${JSON.stringify(value)} is not one of ${schema.enum.join(', ')}` },
    ];
  }
  const bad = (want: string): Mismatch[] => [
    { path: at, kind: 'format', detail: `${JSON.stringify(value)} is not ${want}` },
  ];
  if ((format === 'int64' || format === 'uint64') && !INTEGER_STRING.test(value)) return bad(format);
  if (format === 'uint64' && value.startsWith('-')) return bad(format);
  if (format === 'google-datetime' && Number.isNaN(Date.parse(value))) return bad('an RFC 3339 timestamp');
  if (format === 'google-duration' && !DURATION.test(value)) return bad('a duration such as "1.5s"');
  if (format === 'byte' && !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) return bad('base64');
  return [];
}
