/**
 * What lbmedic owns: the resources it created itself (dedicated firewall rules, dedicated copies of
 * shared health checks). Their names start with `lbmedic-` (the IAM condition that limits lbmedic's
 * firewall writes keys on it) and their descriptions with `lbmedic:`, so a resource a person happened
 * to name `lbmedic-…` is not taken for one. Names are deterministic, so a retried insert finds its own
 * resource instead of making a second one.
 */

/**
 * The name prefix of every resource lbmedic creates. The IAM condition in
 * deploy/lbmedic-firewall-condition.yaml grants firewall writes on these names only.
 */
export const OWNED_NAME_PREFIX = 'lbmedic-';
export const LBMEDIC_MARK = 'lbmedic:';

/** Did lbmedic create this resource (its name prefix and its description's mark)? */
export function isLbmedicOwned(resource: { name: string; description?: string }): boolean {
  return resource.name.startsWith(OWNED_NAME_PREFIX) && (resource.description ?? '').startsWith(LBMEDIC_MARK);
}

/** A short, stable hash of `text` (FNV-1a, 32 bits, 8 hex digits): pure, so names are deterministic. */
export function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/**
 * A GCP resource name (at most 63 characters, ending in a letter or digit) from its parts joined by
 * dashes; `keep` is appended whole and the parts before it are shortened to make room.
 */
export function resourceName(parts: string[], keep: string): string {
  const room = 63 - keep.length - 1;
  const head = parts.join('-').slice(0, room).replace(/-+$/, '');
  return `${head}-${keep}`;
}
