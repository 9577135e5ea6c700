/**
 * `lbmedic setup temporal`: registers lbmedic's custom search attributes (core/search-attributes.ts)
 * on a real cluster through the operator service, the way `temporal operator search-attribute create`
 * does. Idempotent: it lists what the namespace has, adds only what is missing, and an "already
 * exists" from a concurrent run counts as done. A name registered with another type is an error: the
 * cluster would reject lbmedic's values, and changing a type is the operator's decision.
 */
import { isGrpcServiceError, type Connection } from '@temporalio/client';
import { ALL_SEARCH_ATTRIBUTES } from '../core/search-attributes';

type AddRequest = Parameters<Connection['operatorService']['addSearchAttributes']>[0];
type IndexedValueType = NonNullable<AddRequest['searchAttributes']>[string];

/** Temporal's `IndexedValueType` numbers (temporal/api/enums/v1/common.proto). */
const INDEXED_VALUE_TYPE: Record<string, number> = {
  TEXT: 1,
  KEYWORD: 2,
  INT: 3,
  DOUBLE: 4,
  BOOL: 5,
  DATETIME: 6,
  KEYWORD_LIST: 7,
};
const TYPE_NAME = Object.fromEntries(Object.entries(INDEXED_VALUE_TYPE).map(([name, n]) => [n, name]));

/** gRPC ALREADY_EXISTS. */
const ALREADY_EXISTS = 6;
/** gRPC UNIMPLEMENTED. */
const UNIMPLEMENTED = 12;

export interface SearchAttributeSetup {
  added: string[];
  existing: string[];
}

export async function setupTemporalSearchAttributes(
  connection: Connection,
  namespace: string,
): Promise<SearchAttributeSetup> {
  let have: Record<string, unknown>;
  try {
    const listed = await connection.operatorService.listSearchAttributes({ namespace });
    have = listed.customAttributes ?? {};
  } catch (err) {
    // The time-skipping test server implements adding but not listing: add everything, and an
    // "already exists" answer still counts as done.
    if (!(isGrpcServiceError(err) && err.code === UNIMPLEMENTED)) throw err;
    have = {};
  }
  const missing: Record<string, IndexedValueType> = {};
  const existing: string[] = [];
  const conflicts: string[] = [];
  for (const key of ALL_SEARCH_ATTRIBUTES) {
    const want = INDEXED_VALUE_TYPE[key.type];
    if (want === undefined) throw new Error(`search attribute ${key.name}: unknown type ${key.type}`);
    const current = have[key.name];
    if (current === undefined) missing[key.name] = want as IndexedValueType;
    else if (Number(current) === want) existing.push(key.name);
    else
      conflicts.push(
        `${key.name} is ${TYPE_NAME[Number(current)] ?? String(current)}, lbmedic needs ${key.type}`,
      );
  }
  if (conflicts.length > 0) {
    throw new Error(
      `search attributes registered with another type in namespace ${namespace}: ${conflicts.join('; ')}`,
    );
  }
  const added = Object.keys(missing);
  if (added.length > 0) {
    try {
      await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
    } catch (err) {
      if (!(isGrpcServiceError(err) && err.code === ALREADY_EXISTS)) throw err;
    }
  }
  return { added, existing };
}
