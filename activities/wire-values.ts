/**
 * Google's wire values as the evidence readers need them: int64 fields arrive as strings, and
 * resources name each other by URL.
 */

/** The last segment of a resource URL (`.../instances/web-1` → `web-1`); '' for none. */
export const lastSegment = (url: string | null | undefined): string =>
  (url ?? '').split('/').filter(Boolean).pop() ?? '';

/** A number from an int64 string or a number; `fallback` when it is neither. */
export const num = (v: unknown, fallback = 0): number => {
  const n = typeof v === 'string' ? Number(v) : typeof v === 'number' ? v : NaN;
  return Number.isFinite(n) ? n : fallback;
};

/** Async iterators page by themselves; saying so silences gax's AutopaginateTrueWarning. */
export const NO_AUTOPAGINATE = { autoPaginate: false };

/** The region a resource URL names (`…/regions/R/…`), or undefined for a global or zonal one. */
export function regionOf(url: string | null | undefined): string | undefined {
  return /\/regions\/([^/]+)\//.exec(url ?? '')?.[1];
}

/** The region of an aggregated list's scope (`regions/R`), or undefined for `global` and zones. */
export function scopeRegion(scope: string): string | undefined {
  return /^regions\/([^/]+)$/.exec(scope)?.[1];
}
