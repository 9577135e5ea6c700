/**
 * Compute list filters. Compute takes two kinds of expression, never mixed in one request (the
 * `filter` parameter of every Compute v1 list method, in the discovery document):
 * - AIP-160 comparisons (`name != example`, `(a = 1) OR (b = "x")`): the shared parser in log-filter.ts;
 * - regular expressions: `field eq literal` or `field ne literal`, alone and unparenthesized, or as
 *   several parenthesized ones (`(name eq web-.*) (zone ne .*-b)`); the literal, quoted or not, is an
 *   RE2 expression that must match the entire field. JavaScript's RegExp reads the RE2 subset used in
 *   practice (classes, alternation, repetition, anchors).
 */
import type { FilterNode } from './log-filter';
import { FilterSyntaxError, parseFilter } from './log-filter';

const FIELD = String.raw`([A-Za-z_][\w.]*)`;
const LITERAL = String.raw`("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^()\s]+)`;
const SINGLE = new RegExp(String.raw`^\s*${FIELD}\s+(eq|ne)\s+${LITERAL}\s*$`);
const GROUP = new RegExp(String.raw`\(\s*${FIELD}\s+(eq|ne)\s+${LITERAL}\s*\)`, 'g');
const GROUPS = new RegExp(String.raw`^\s*(?:\(\s*${FIELD}\s+(?:eq|ne)\s+${LITERAL}\s*\)\s*)+$`);

function unquote(literal: string): string {
  const quote = literal[0];
  if ((quote === '"' || quote === "'") && literal.endsWith(quote) && literal.length >= 2) {
    return literal.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return literal;
}

function regexComparison(text: string, field: string, op: string, literal: string): FilterNode {
  const pattern = unquote(literal);
  try {
    new RegExp(pattern);
  } catch {
    throw new FilterSyntaxError(
      text,
      text.indexOf(literal),
      `"${pattern}" is not a valid regular expression`,
    );
  }
  return {
    kind: 'cmp',
    path: field.split('.'),
    op: op === 'eq' ? '=~' : '!~',
    // The expression must match the whole field.
    value: { kind: 'literal', text: `^(?:${pattern})$`, quoted: true },
  };
}

/** A Compute list filter as a FilterNode (undefined for an empty filter); throws FilterSyntaxError. */
export function parseComputeFilter(text: string): FilterNode | undefined {
  const single = SINGLE.exec(text);
  if (single) return regexComparison(text, single[1] ?? '', single[2] ?? '', single[3] ?? '');
  if (GROUPS.test(text)) {
    const items = [...text.matchAll(GROUP)].map((m) =>
      regexComparison(text, m[1] ?? '', m[2] ?? '', m[3] ?? ''),
    );
    return items.length === 1 ? items[0] : { kind: 'and', items };
  }
  return parseFilter(text);
}
