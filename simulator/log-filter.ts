/**
 * A subset of Google's filter language, shared by Logging (`entries.list`), Monitoring
 * (`timeSeries.list`, alert policy / channel `list`) and Compute list `filter` parameters.
 *
 * Supported: comparisons `=`, `!=`, `<`, `<=`, `>`, `>=`, `:` (has: substring, or `:*` for presence),
 * `=~` / `!~` (regular expression), on dotted field paths (`resource.labels.backend_service_name`,
 * `labels."a.b/c"`), against quoted or bare values, value lists `f = ("a" OR "b")` and the functions
 * `starts_with`, `ends_with`, `has_substring`, `one_of`; `AND`, implicit AND by juxtaposition, `OR`,
 * `NOT` and the `-` prefix, parentheses. Global restrictions (a bare value with no field) are not.
 *
 * Precedence follows the Logging query language: NOT binds tightest, then OR, then AND, so
 * `a OR NOT b AND NOT c OR d` means `(a OR (NOT b)) AND ((NOT c) OR d)`.
 *
 * Evaluation: a path that reaches an array matches when any element does; numbers (and numeric
 * strings such as int64 values) compare numerically, RFC 3339 timestamps as instants, `severity` by
 * level, other strings lexically (case-insensitively unless `caseSensitive`, as Logging does). A
 * missing field matches no comparison, so `f != v` (defined as `NOT f = v`) matches it.
 *
 * Pure: no I/O, no clock.
 */

export type CmpOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | ':' | '=~' | '!~';

export type FilterValue =
  | { kind: 'literal'; text: string; quoted: boolean }
  | { kind: 'anyOf'; values: FilterValue[] }
  | { kind: 'func'; name: 'starts_with' | 'ends_with' | 'has_substring' | 'one_of'; args: string[] };

export type FilterNode =
  | { kind: 'and'; items: FilterNode[] }
  | { kind: 'or'; items: FilterNode[] }
  | { kind: 'not'; item: FilterNode }
  | { kind: 'cmp'; path: string[]; op: CmpOp; value: FilterValue };

export class FilterSyntaxError extends Error {
  /** 0-based offset into the filter text. */
  readonly position: number;
  readonly line: number;
  readonly column: number;

  constructor(text: string, position: number, problem: string) {
    const before = text.slice(0, position);
    const line = before.split('\n').length;
    const column = position - before.lastIndexOf('\n');
    super(`Unparseable filter: ${problem} at line ${line}, column ${column}`);
    this.name = 'FilterSyntaxError';
    this.position = position;
    this.line = line;
    this.column = column;
  }
}

type Token =
  | { t: 'word'; segments: string[]; raw: string; pos: number }
  | { t: 'string'; value: string; pos: number }
  | { t: 'op'; op: CmpOp; pos: number }
  | { t: '(' | ')' | ','; pos: number }
  | { t: 'eof'; pos: number };

const OPS: CmpOp[] = ['>=', '<=', '!=', '=~', '!~', '=', '<', '>', ':'];
const WORD_STOP = new Set([' ', '\t', '\n', '\r', '(', ')', '=', '<', '>', '!', ':', '~', ',', '"']);
const FUNCS = new Set(['starts_with', 'ends_with', 'has_substring', 'one_of']);

function readString(text: string, start: number): { value: string; end: number } {
  let i = start + 1;
  let value = '';
  while (i < text.length) {
    const c = text[i];
    if (c === '"') return { value, end: i + 1 };
    if (c === '\\') {
      const n = text[i + 1];
      if (n === undefined) break;
      value += n === 'n' ? '\n' : n === 't' ? '\t' : n;
      i += 2;
      continue;
    }
    value += c;
    i += 1;
  }
  throw new FilterSyntaxError(text, start, 'unterminated string');
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i += 1;
      continue;
    }
    if (c === '(' || c === ')' || c === ',') {
      tokens.push({ t: c, pos: i });
      i += 1;
      continue;
    }
    if (c === '"') {
      const { value, end } = readString(text, i);
      tokens.push({ t: 'string', value, pos: i });
      i = end;
      continue;
    }
    const op = OPS.find((o) => text.startsWith(o, i));
    if (op) {
      tokens.push({ t: 'op', op, pos: i });
      i += op.length;
      continue;
    }
    if (c === '!' || c === '~') throw new FilterSyntaxError(text, i, `unexpected '${c}'`);
    // A word: a field path (segments split on '.', a segment may be quoted after a '.') or a bare value.
    const start = i;
    const segments: string[] = [];
    let cur = '';
    while (i < text.length) {
      const ch = text[i] as string;
      if (ch === '"' && cur === '' && segments.length > 0) {
        const { value, end } = readString(text, i);
        cur = value;
        i = end;
        continue;
      }
      if (WORD_STOP.has(ch)) break;
      if (ch === '.') {
        segments.push(cur);
        cur = '';
      } else {
        cur += ch;
      }
      i += 1;
    }
    segments.push(cur);
    tokens.push({ t: 'word', segments, raw: text.slice(start, i), pos: start });
  }
  tokens.push({ t: 'eof', pos: text.length });
  return tokens;
}

class Parser {
  private i = 0;

  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
  ) {}

  private peek(): Token {
    return this.tokens[this.i] ?? { t: 'eof', pos: this.text.length };
  }

  private next(): Token {
    const tok = this.peek();
    this.i += 1;
    return tok;
  }

  private fail(tok: Token, problem: string): never {
    throw new FilterSyntaxError(this.text, tok.pos, problem);
  }

  private isKeyword(tok: Token, kw: 'AND' | 'OR' | 'NOT'): boolean {
    return tok.t === 'word' && tok.raw === kw;
  }

  parseAll(): FilterNode | undefined {
    if (this.peek().t === 'eof') return undefined;
    const node = this.parseAnd();
    const tok = this.peek();
    if (tok.t !== 'eof') this.fail(tok, tok.t === ')' ? "unbalanced ')'" : 'unexpected token');
    return node;
  }

  private parseAnd(): FilterNode {
    const items = [this.parseOr()];
    for (;;) {
      const tok = this.peek();
      if (tok.t === 'eof' || tok.t === ')') break;
      if (this.isKeyword(tok, 'AND')) {
        this.next();
        if (this.peek().t === 'eof' || this.peek().t === ')')
          this.fail(this.peek(), "expected an expression after 'AND'");
      }
      items.push(this.parseOr());
    }
    return items.length === 1 ? (items[0] as FilterNode) : { kind: 'and', items };
  }

  private parseOr(): FilterNode {
    const items = [this.parseUnary()];
    while (this.isKeyword(this.peek(), 'OR')) {
      this.next();
      items.push(this.parseUnary());
    }
    return items.length === 1 ? (items[0] as FilterNode) : { kind: 'or', items };
  }

  private parseUnary(): FilterNode {
    const tok = this.peek();
    if (this.isKeyword(tok, 'NOT')) {
      this.next();
      return { kind: 'not', item: this.parseUnary() };
    }
    if (tok.t === 'word' && tok.raw.startsWith('-') && tok.raw.length > 1) {
      // `-field = v` is NOT; re-read the word without its dash.
      const [first, ...rest] = tok.segments;
      this.i += 1;
      return { kind: 'not', item: this.parseComparison([(first ?? '').slice(1), ...rest], tok) };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): FilterNode {
    const tok = this.next();
    if (tok.t === '(') {
      const inner = this.parseAnd();
      const close = this.next();
      if (close.t !== ')') this.fail(close, "expected ')'");
      return inner;
    }
    if (tok.t === 'word') {
      if (this.isKeyword(tok, 'AND') || this.isKeyword(tok, 'OR')) this.fail(tok, `unexpected '${tok.raw}'`);
      return this.parseComparison(tok.segments, tok);
    }
    if (tok.t === 'eof') this.fail(tok, 'unexpected end of filter');
    if (tok.t === 'string') this.fail(tok, 'global restrictions (a value without a field) are not supported');
    return this.fail(tok, 'expected a field name');
  }

  private parseComparison(segments: string[], at: Token): FilterNode {
    if (segments.some((s) => s === '')) this.fail(at, 'invalid field path');
    const opTok = this.next();
    if (opTok.t !== 'op') return this.fail(opTok, 'expected a comparison operator');
    const value = this.parseValue();
    return { kind: 'cmp', path: segments, op: opTok.op, value };
  }

  private parseValue(): FilterValue {
    const tok = this.next();
    if (tok.t === 'string') return { kind: 'literal', text: tok.value, quoted: true };
    if (tok.t === '(') {
      const values = [this.parseValue()];
      while (this.isKeyword(this.peek(), 'OR')) {
        this.next();
        values.push(this.parseValue());
      }
      const close = this.next();
      if (close.t !== ')') this.fail(close, "expected ')' or 'OR' in value list");
      return values.length === 1 ? (values[0] as FilterValue) : { kind: 'anyOf', values };
    }
    if (tok.t === 'word') {
      if (this.peek().t === '(' && FUNCS.has(tok.raw)) {
        this.next();
        const args: string[] = [];
        while (this.peek().t !== ')') {
          const arg = this.next();
          if (arg.t === 'string') args.push(arg.value);
          else if (arg.t === 'word') args.push(arg.raw);
          else this.fail(arg, 'expected a function argument');
          if (this.peek().t === ',') this.next();
        }
        this.next();
        if (args.length === 0) this.fail(tok, `${tok.raw}() needs an argument`);
        return { kind: 'func', name: tok.raw as 'starts_with', args };
      }
      if (this.isKeyword(tok, 'AND') || this.isKeyword(tok, 'OR')) this.fail(tok, 'expected a value');
      return { kind: 'literal', text: tok.raw, quoted: false };
    }
    return this.fail(tok, 'expected a value');
  }
}

/** Parse a filter. An empty or blank filter gives `undefined`, which matches everything. */
export function parseFilter(text: string): FilterNode | undefined {
  return new Parser(text, tokenize(text)).parseAll();
}

/** Values at a path; arrays along the way fan out. */
export function resolvePath(obj: unknown, path: readonly string[]): unknown[] {
  let current: unknown[] = [obj];
  for (const seg of path) {
    const nextValues: unknown[] = [];
    for (const value of current) {
      const items = Array.isArray(value) ? value : [value];
      for (const item of items) {
        if (item !== null && typeof item === 'object' && seg in item) {
          nextValues.push((item as Record<string, unknown>)[seg]);
        }
      }
    }
    current = nextValues;
  }
  return current.flatMap((v) => (Array.isArray(v) ? v : [v])).filter((v) => v !== undefined && v !== null);
}

const SEVERITY: Record<string, number> = {
  DEFAULT: 0,
  DEBUG: 100,
  INFO: 200,
  NOTICE: 300,
  WARNING: 400,
  ERROR: 500,
  CRITICAL: 600,
  ALERT: 700,
  EMERGENCY: 800,
};

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}(T[\d:.]+)?(Z|[+-]\d{2}:?\d{2})?$/;

export interface MatchOptions {
  /** Monitoring and Compute compare strings exactly; Logging does not. */
  caseSensitive?: boolean;
}

function severityRank(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const rank = SEVERITY[value.toUpperCase()];
    if (rank !== undefined) return rank;
    const n = Number(value);
    return Number.isFinite(n) && value.trim() !== '' ? n : undefined;
  }
  return undefined;
}

function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    if (Number.isFinite(n)) return n;
  }
  return undefined;
}

function asInstant(value: unknown): number | undefined {
  if (typeof value !== 'string' || !TIMESTAMP.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function leafText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** -1/0/1, or undefined when the two cannot be ordered. */
function compare(
  leaf: unknown,
  literal: string,
  isSeverity: boolean,
  opts: MatchOptions,
): number | undefined {
  if (isSeverity) {
    const a = severityRank(leaf);
    const b = severityRank(literal);
    if (a !== undefined && b !== undefined) return Math.sign(a - b);
  }
  if (typeof leaf === 'boolean') {
    const b = literal.toLowerCase();
    if (b !== 'true' && b !== 'false') return undefined;
    return leaf === (b === 'true') ? 0 : leaf ? 1 : -1;
  }
  const na = asNumber(leaf);
  const nb = asNumber(literal);
  if (na !== undefined && nb !== undefined) return Math.sign(na - nb);
  const ta = asInstant(leaf);
  const tb = asInstant(literal);
  if (ta !== undefined && tb !== undefined) return Math.sign(ta - tb);
  if (typeof leaf === 'object') return undefined;
  let a = leafText(leaf);
  let b = literal;
  if (!opts.caseSensitive) {
    a = a.toLowerCase();
    b = b.toLowerCase();
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

function matchLiteral(
  leaves: unknown[],
  op: CmpOp,
  literal: { text: string; quoted: boolean },
  isSeverity: boolean,
  opts: MatchOptions,
): boolean {
  const norm = (s: string): string => (opts.caseSensitive ? s : s.toLowerCase());
  switch (op) {
    case ':':
      if (literal.text === '*' && !literal.quoted) return leaves.length > 0;
      return leaves.some((leaf) => norm(leafText(leaf)).includes(norm(literal.text)));
    case '=~':
    case '!~': {
      const re = new RegExp(literal.text, opts.caseSensitive ? '' : 'i');
      const found = leaves.some((leaf) => re.test(leafText(leaf)));
      return op === '=~' ? found : !found;
    }
    case '!=':
      return !matchLiteral(leaves, '=', literal, isSeverity, opts);
    default:
      return leaves.some((leaf) => {
        const c = compare(leaf, literal.text, isSeverity, opts);
        if (c === undefined) return false;
        switch (op) {
          case '=':
            return c === 0;
          case '<':
            return c < 0;
          case '<=':
            return c <= 0;
          case '>':
            return c > 0;
          default:
            return c >= 0;
        }
      });
  }
}

function matchValue(
  leaves: unknown[],
  op: CmpOp,
  value: FilterValue,
  isSeverity: boolean,
  opts: MatchOptions,
): boolean {
  if (value.kind === 'literal') return matchLiteral(leaves, op, value, isSeverity, opts);
  if (op === '!=' || op === '!~') {
    const positive: CmpOp = op === '!=' ? '=' : '=~';
    return !matchValue(leaves, positive, value, isSeverity, opts);
  }
  if (value.kind === 'anyOf') return value.values.some((v) => matchValue(leaves, op, v, isSeverity, opts));
  const norm = (s: string): string => (opts.caseSensitive ? s : s.toLowerCase());
  const texts = leaves.filter((l) => typeof l !== 'object').map((l) => norm(leafText(l)));
  const args = value.args.map(norm);
  const first = args[0] ?? '';
  switch (value.name) {
    case 'starts_with':
      return texts.some((t) => t.startsWith(first));
    case 'ends_with':
      return texts.some((t) => t.endsWith(first));
    case 'has_substring':
      return texts.some((t) => t.includes(first));
    default:
      return texts.some((t) => args.includes(t));
  }
}

/** Does the filter match? `resolve` gives the values at a field path (see `resolvePath`). */
export function matches(
  node: FilterNode | undefined,
  resolve: (path: readonly string[]) => unknown[],
  opts: MatchOptions = {},
): boolean {
  if (!node) return true;
  switch (node.kind) {
    case 'and':
      return node.items.every((n) => matches(n, resolve, opts));
    case 'or':
      return node.items.some((n) => matches(n, resolve, opts));
    case 'not':
      return !matches(node.item, resolve, opts);
    case 'cmp': {
      const isSeverity = node.path.length === 1 && node.path[0] === 'severity';
      return matchValue(resolve(node.path), node.op, node.value, isSeverity, opts);
    }
  }
}

/** Match against a plain JSON object (a log entry, a resource). */
export function matchesObject(node: FilterNode | undefined, obj: unknown, opts: MatchOptions = {}): boolean {
  return matches(node, (path) => resolvePath(obj, path), opts);
}

/**
 * The comparisons that every match must satisfy: those reachable through AND only (not under OR or
 * NOT). Monitoring uses it to find the filter's one `metric.type`.
 */
export function requiredComparisons(node: FilterNode | undefined): Extract<FilterNode, { kind: 'cmp' }>[] {
  if (!node) return [];
  if (node.kind === 'cmp') return [node];
  if (node.kind === 'and') return node.items.flatMap(requiredComparisons);
  return [];
}

/** Every comparison anywhere in the filter. */
export function allComparisons(node: FilterNode | undefined): Extract<FilterNode, { kind: 'cmp' }>[] {
  if (!node) return [];
  switch (node.kind) {
    case 'cmp':
      return [node];
    case 'not':
      return allComparisons(node.item);
    default:
      return node.items.flatMap(allComparisons);
  }
}
