/**
 * List pagination. Page tokens are opaque to clients: base64url JSON holding an offset, or a cursor
 * (the sort key of the last item returned) where the list can grow between pages, as logs do.
 */
import { invalid } from './errors';

export interface Page<T> {
  items: T[];
  nextPageToken?: string;
}

export function encodeToken(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

export function decodeToken(token: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch {
    // fall through to the API error below
  }
  throw invalid(`Invalid value for field 'pageToken': '${token}'. Invalid page token.`);
}

/**
 * Parse a page size parameter. `undefined`/0 means the default; larger than `max` is clamped unless
 * `rejectAbove` (Logging rejects pageSize > 1000), negatives are invalid.
 */
export function pageSize(
  raw: unknown,
  opts: { defaultSize: number; max: number; field: string; rejectAbove?: boolean },
): number {
  if (raw === undefined || raw === null || raw === '') return opts.defaultSize;
  const n = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    throw invalid(
      `Invalid value for field '${opts.field}': '${String(raw)}'. Must be a non-negative integer.`,
    );
  }
  if (n === 0) return opts.defaultSize;
  if (n > opts.max) {
    if (opts.rejectAbove) {
      throw invalid(`Invalid value for field '${opts.field}': ${n}. Must be at most ${opts.max}.`);
    }
    return opts.max;
  }
  return n;
}

/** One page by offset. */
export function paginate<T>(all: readonly T[], size: number, token: string | undefined): Page<T> {
  let offset = 0;
  if (token) {
    const o = decodeToken(token)['o'];
    if (typeof o !== 'number' || !Number.isInteger(o) || o < 0) {
      throw invalid(`Invalid value for field 'pageToken': '${token}'. Invalid page token.`);
    }
    offset = o;
  }
  const items = all.slice(offset, offset + size);
  const next = offset + size;
  return next < all.length ? { items, nextPageToken: encodeToken({ o: next }) } : { items };
}
