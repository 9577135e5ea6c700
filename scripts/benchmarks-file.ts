/**
 * BENCHMARKS.md is written by two scripts: `npm run bench` writes the whole file, `npm run bench:mttr`
 * its own section between two markers. Each keeps what the other wrote.
 */
const START = '<!-- mttr:start -->';
const END = '<!-- mttr:end -->';

/** Wraps the MTTR section's text in its markers. */
export function mttrSection(body: string): string {
  return `${START}\n${body.trim()}\n${END}`;
}

/** The MTTR section of `text` with its markers, if it has one. */
export function mttrSectionOf(text: string): string | undefined {
  const at = text.indexOf(START);
  const end = text.indexOf(END);
  return at >= 0 && end > at ? text.slice(at, end + END.length) : undefined;
}

/** `text` with its MTTR section replaced by `section`, or `section` appended when it has none. */
export function withMttrSection(text: string, section: string): string {
  const old = mttrSectionOf(text);
  return old ? text.replace(old, section) : `${text.trimEnd()}\n\n${section}\n`;
}
