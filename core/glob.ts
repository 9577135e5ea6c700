/** Name globs as policies and the scope write them: `*` matches any run, `?` one character. Pure. */

/** Does `name` match `glob` (`*` any run, `?` one character, everything else literally)? */
export function globMatch(glob: string, name: string): boolean {
  let re = '^';
  for (const ch of glob)
    re += ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\-]/g, '\\$&');
  return new RegExp(`${re}$`).test(name);
}
