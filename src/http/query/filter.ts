/**
 * Field filters on collection GETs (§2.7): `<field>=<query>`.
 *
 * ```
 * expr = alt *( "|" alt )          ; OR
 * alt  = [ "!" ] term              ; NOT
 * term = "null" | value ".." value | op value | pattern | value
 * op   = "<" | ">" | "<=" | ">="
 * ```
 * A value may be quoted with `"..."` or `{...}`; quoted text is literal, so `* | ! < > ..` lose their meaning
 * inside it (and `null` quoted is the string "null"). `*` elsewhere matches any run of characters.
 *
 * Semantics: unset fields (absent or `null`) match only `null`; `!null` matches set fields. Comparison follows
 * the field type (see typed-value.ts); strings and enums match case-insensitively (D21). On a multi-valued
 * field (a path through an array) a term holds when any element satisfies it, and `!term` holds when the field
 * is set and no element satisfies it. Several filters AND together.
 */
import { errors } from '../../core/errors.js';
import type { FieldSpec } from './field-spec.js';
import { isJsonObject, type JsonObject, type JsonPrimitive, type JsonValue } from './json.js';
import { expectations } from './param-values.js';
import { compareKeys, literalKey, patternSubject, recordKey, type Comparable } from './typed-value.js';

export type CompareOp = '<' | '<=' | '>' | '>=';

export type FilterTerm =
  | { readonly kind: 'null' }
  | { readonly kind: 'equals'; readonly key: Comparable }
  | { readonly kind: 'compare'; readonly op: CompareOp; readonly key: Comparable }
  | { readonly kind: 'range'; readonly low: Comparable; readonly high: Comparable }
  /** Lower-cased literal parts between the wildcards: `*download*` → `['', 'download', '']`. */
  | { readonly kind: 'pattern'; readonly parts: readonly string[] };

export interface FilterAlternative {
  readonly negated: boolean;
  readonly term: FilterTerm;
}

/** One parsed `<field>=<query>`: the record matches when any alternative holds. */
export interface Filter {
  /** The parameter name as received, e.g. `node.name`. */
  readonly name: string;
  readonly path: readonly string[];
  readonly spec: FieldSpec;
  readonly alternatives: readonly FilterAlternative[];
}

/** A character of a filter value and whether quoting made it literal. */
interface ScannedChar {
  readonly ch: string;
  readonly quoted: boolean;
}

/** Splits a value into alternatives at unquoted `|`, resolving quotes. Undefined when a quote is unterminated. */
function scanAlternatives(value: string): ScannedChar[][] | undefined {
  const alternatives: ScannedChar[][] = [[]];
  let current = alternatives[0] ?? [];
  let i = 0;
  while (i < value.length) {
    const ch = value.charAt(i);
    if (ch === '"') {
      const end = value.indexOf('"', i + 1);
      if (end === -1) return undefined;
      for (const q of value.slice(i + 1, end)) current.push({ ch: q, quoted: true });
      i = end + 1;
    } else if (ch === '{') {
      let depth = 1;
      let j = i + 1;
      for (; j < value.length && depth > 0; j += 1) {
        if (value[j] === '{') depth += 1;
        else if (value[j] === '}') depth -= 1;
      }
      if (depth > 0) return undefined;
      for (const q of value.slice(i + 1, j - 1)) current.push({ ch: q, quoted: true });
      i = j;
    } else if (ch === '|') {
      current = [];
      alternatives.push(current);
      i += 1;
    } else {
      current.push({ ch, quoted: false });
      i += 1;
    }
  }
  return alternatives;
}

const text = (chars: readonly ScannedChar[]): string => chars.map((c) => c.ch).join('');
const isOp = (c: ScannedChar | undefined, ch: string): boolean => c !== undefined && !c.quoted && c.ch === ch;

function parseTerm(
  chars: readonly ScannedChar[],
  spec: FieldSpec,
  fail: (expectation: string) => never,
): FilterTerm {
  const key = (literal: readonly ScannedChar[]): Comparable => {
    const k = literalKey(spec, text(literal));
    if (k !== undefined) return k;
    switch (spec.type) {
      case 'integer':
        return fail(expectations.integer);
      case 'datetime':
        return fail(expectations.dateTime);
      default:
        return fail(expectations.boolean);
    }
  };
  const noBooleanOrder = (): void => {
    if (spec.type === 'boolean') fail(expectations.booleanNoOrder);
  };

  if (chars.length === 4 && chars.every((c) => !c.quoted) && text(chars) === 'null') return { kind: 'null' };

  if (isOp(chars[0], '<') || isOp(chars[0], '>')) {
    const orEqual = isOp(chars[1], '=');
    const less = isOp(chars[0], '<');
    const op: CompareOp = less ? (orEqual ? '<=' : '<') : orEqual ? '>=' : '>';
    noBooleanOrder();
    return { kind: 'compare', op, key: key(chars.slice(orEqual ? 2 : 1)) };
  }

  for (let i = 0; i + 1 < chars.length; i += 1) {
    if (isOp(chars[i], '.') && isOp(chars[i + 1], '.')) {
      noBooleanOrder();
      return { kind: 'range', low: key(chars.slice(0, i)), high: key(chars.slice(i + 2)) };
    }
  }

  if (chars.some((c) => isOp(c, '*'))) {
    const parts: string[] = [];
    let run = '';
    for (const c of chars) {
      if (isOp(c, '*')) {
        parts.push(run);
        run = '';
      } else run += c.ch.toLowerCase();
    }
    parts.push(run);
    return { kind: 'pattern', parts };
  }

  const literal = text(chars);
  if (spec.type === 'enum' && spec.values !== undefined) {
    const lower = literal.toLowerCase();
    if (!spec.values.some((v) => v.toLowerCase() === lower)) fail(expectations.oneOf(spec.values));
  }
  return { kind: 'equals', key: key(chars) };
}

/**
 * Parses the value of a filter on a field the caller has already resolved as filterable.
 * Throws 262185 `Invalid value "<value>" for "<name>". Expected <…>.` (target `<name>`, `<value>` the whole
 * value as received) when a literal does not fit the field's type, an enum equality names no enum value, a
 * quote is unterminated, or `<`, `>`, `<=`, `>=`, `..` is used on a boolean.
 */
export function parseFilter(name: string, value: string, path: readonly string[], spec: FieldSpec): Filter {
  const fail = (expectation: string): never => {
    throw errors.invalidValue(name, value, expectation);
  };
  const scanned = scanAlternatives(value);
  if (scanned === undefined) return fail(expectations.quoted);
  const alternatives = scanned.map((chars): FilterAlternative => {
    const negated = isOp(chars[0], '!');
    return { negated, term: parseTerm(negated ? chars.slice(1) : chars, spec, fail) };
  });
  return { name, path, spec, alternatives };
}

/** The set scalar values at `path`, flattening arrays at every level. */
export function valuesAt(record: JsonObject, path: readonly string[]): JsonPrimitive[] {
  const out: JsonPrimitive[] = [];
  const walk = (value: JsonValue | undefined, index: number): void => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) {
      for (const element of value) walk(element, index);
      return;
    }
    if (index === path.length) {
      if (!isJsonObject(value)) out.push(value);
      return;
    }
    const segment = path[index];
    if (!isJsonObject(value) || segment === undefined || !Object.hasOwn(value, segment)) return;
    walk(value[segment], index + 1);
  };
  walk(record, 0);
  return out;
}

/** Glob match where `parts` are the literal runs between `*`s; leftmost matching is optimal for `*`-only globs. */
function globMatch(parts: readonly string[], subject: string): boolean {
  const first = parts[0] ?? '';
  if (parts.length === 1) return subject === first;
  const last = parts[parts.length - 1] ?? '';
  if (!subject.startsWith(first)) return false;
  let pos = first.length;
  for (let i = 1; i < parts.length - 1; i += 1) {
    const part = parts[i] ?? '';
    const found = subject.indexOf(part, pos);
    if (found === -1) return false;
    pos = found + part.length;
  }
  return subject.length - last.length >= pos && subject.endsWith(last);
}

function termHolds(term: FilterTerm, spec: FieldSpec, value: JsonPrimitive): boolean {
  if (term.kind === 'null') return false;
  if (term.kind === 'pattern') {
    const subject = patternSubject(value);
    return subject !== undefined && globMatch(term.parts, subject);
  }
  const key = recordKey(spec, value);
  if (key === undefined) return false;
  switch (term.kind) {
    case 'equals':
      return compareKeys(key, term.key) === 0;
    case 'range':
      return compareKeys(key, term.low) >= 0 && compareKeys(key, term.high) <= 0;
    case 'compare': {
      const c = compareKeys(key, term.key);
      switch (term.op) {
        case '<':
          return c < 0;
        case '<=':
          return c <= 0;
        case '>':
          return c > 0;
        case '>=':
          return c >= 0;
      }
    }
  }
}

/** Whether a record satisfies one filter. */
export function matchesFilter(record: JsonObject, filter: Filter): boolean {
  const values = valuesAt(record, filter.path);
  return filter.alternatives.some(({ negated, term }) => {
    if (term.kind === 'null') return (values.length === 0) !== negated;
    if (values.length === 0) return false;
    const any = values.some((v) => termHolds(term, filter.spec, v));
    return negated ? !any : any;
  });
}

/** Whether a record satisfies every filter (AND). */
export function matchesFilters(record: JsonObject, filters: readonly Filter[]): boolean {
  return filters.every((f) => matchesFilter(record, f));
}
