/**
 * The `fields` parameter (§2.6): parsing a selection and projecting records through it.
 *
 * Grammar: comma-separated items, no spaces. `*` and `**` select everything. A dotted path selects a field
 * inside objects and inside every element of arrays of objects (`nodes.version`). `a.{b,c}` selects several
 * sub-fields (braces may nest and may be followed by `.more`). `!path` removes a field from what the other
 * items selected, whatever their order. `_links` is always returned, so naming it is accepted and changes nothing.
 */
import { errors } from '../../core/errors.js';
import { LINKS_FIELD, resolveField, type ResourceFields } from './field-spec.js';
import {
  cloneJson,
  cloneJsonObject,
  isJsonObject,
  setJsonKey,
  type JsonObject,
  type JsonValue,
} from './json.js';

/** Names selected at one level: `true` keeps the whole value, a nested tree keeps only part of it. */
export type SelectionTree = ReadonlyMap<string, SelectionTree | true>;

/** A parsed, validated `fields` value. */
export interface FieldSelection {
  /** `*`/`**` was given, or the list holds only exclusions: start from the full record. */
  readonly all: boolean;
  /** Fields the list names (ignored when `all`). */
  readonly include: SelectionTree;
  /** Fields removed from the result (`!path`); exclusion wins over inclusion. Key fields are never removed. */
  readonly exclude: SelectionTree;
}

/** Whether a projection without `fields` returns the whole record or only its key fields and `_links`. */
export type DefaultProjection = 'full' | 'keys';

type MutableTree = Map<string, MutableTree | true>;

function bracesBalanced(value: string): boolean {
  let depth = 0;
  for (const ch of value) {
    if (ch === '{') depth += 1;
    else if (ch === '}') {
      depth -= 1;
      if (depth < 0) return false;
    }
  }
  return depth === 0;
}

/** Splits on `sep` outside braces. The text's braces are balanced. */
function splitTopLevel(text: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (ch === '{') depth += 1;
    else if (ch === '}') depth -= 1;
    else if (ch === sep && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** `a.{b,c}.d` → `a.b.d`, `a.c.d`. Undefined when a brace is not at the start of a path segment. */
function expandBraces(text: string): string[] | undefined {
  const open = text.indexOf('{');
  if (open === -1) return text.includes('}') ? undefined : [text];
  if (open > 0 && text[open - 1] !== '.') return undefined;
  let depth = 0;
  let close = -1;
  for (let i = open; i < text.length; i += 1) {
    if (text[i] === '{') depth += 1;
    else if (text[i] === '}') {
      depth -= 1;
      if (depth === 0) {
        close = i;
        break;
      }
    }
  }
  if (close === -1) return undefined;
  const prefix = text.slice(0, open);
  const rest = text.slice(close + 1);
  if (rest !== '' && !rest.startsWith('.')) return undefined;
  const out: string[] = [];
  for (const part of splitTopLevel(text.slice(open + 1, close), ',')) {
    const expanded = expandBraces(prefix + part + rest);
    if (expanded === undefined) return undefined;
    out.push(...expanded);
  }
  return out;
}

function addPath(tree: MutableTree, path: readonly string[]): void {
  let level = tree;
  path.forEach((segment, index) => {
    if (index === path.length - 1) {
      level.set(segment, true);
      return;
    }
    const existing = level.get(segment);
    if (existing === true) return;
    const next: MutableTree = existing ?? new Map<string, MutableTree | true>();
    level.set(segment, next);
    level = next;
  });
}

const isStar = (s: string): boolean => s === '*' || s === '**';

/**
 * Parses a `fields` value. The empty value means the default selection and gives null.
 * Throws 262286 (target `fields`) for unbalanced braces, then 262197 (target `fields`) naming the first unknown
 * path as written after brace expansion, unless `ignoreUnknown` (`ignore_unknown_fields=true`), which drops it.
 * Empty items (`a,,b`) are skipped.
 */
export function parseFieldSelection(
  value: string,
  fields: ResourceFields,
  ignoreUnknown: boolean,
): FieldSelection | null {
  if (value === '') return null;
  if (!bracesBalanced(value)) throw errors.mismatchedBraces();
  let all = false;
  let sawInclusion = false;
  let sawExclusion = false;
  const include: MutableTree = new Map();
  const exclude: MutableTree = new Map();
  const unknown = (name: string): void => {
    if (!ignoreUnknown) throw errors.invalidFieldsName(name);
  };
  for (const item of splitTopLevel(value, ',')) {
    if (item === '') continue;
    const negated = item.startsWith('!');
    const body = negated ? item.slice(1) : item;
    if (negated) sawExclusion = true;
    else sawInclusion = true;
    const expanded = expandBraces(body);
    if (expanded === undefined) {
      unknown(body);
      continue;
    }
    for (const pathText of expanded) {
      if (isStar(pathText) && !negated) {
        all = true;
        continue;
      }
      const segments = pathText.split('.');
      if (segments.length > 1 && isStar(segments[segments.length - 1] ?? '')) segments.pop();
      if (segments[0] === LINKS_FIELD) continue;
      if (segments.some((s) => s === '') || resolveField(fields, segments) === undefined) {
        unknown(pathText);
        continue;
      }
      addPath(negated ? exclude : include, segments);
    }
  }
  return { all: all || (sawExclusion && !sawInclusion), include, exclude };
}

function pickValue(value: JsonValue, tree: SelectionTree): JsonValue {
  if (Array.isArray(value)) return value.map((element) => pickValue(element, tree));
  if (isJsonObject(value)) return pick(value, tree);
  return value;
}

function pick(record: JsonObject, tree: SelectionTree): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(record)) {
    const node = tree.get(key);
    if (node === undefined) continue;
    setJsonKey(out, key, node === true ? value : pickValue(value, node));
  }
  return out;
}

function withoutValue(value: JsonValue, tree: SelectionTree): JsonValue {
  if (Array.isArray(value)) return value.map((element) => withoutValue(element, tree));
  if (isJsonObject(value)) return without(value, tree);
  return value;
}

function without(record: JsonObject, tree: SelectionTree): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(record)) {
    const node = tree.get(key);
    if (node === true) continue;
    setJsonKey(out, key, node === undefined ? value : withoutValue(value, node));
  }
  return out;
}

/**
 * Projects one wire record through a selection. The result is a fresh deep copy (never shared with `record`) whose
 * keys keep the record's order.
 * - `selection` null: `mode` `full` (instance and singleton GET) copies the record; `keys` (collection GET)
 *   keeps only the key fields and `_links`, except that a resource without key fields returns everything (D23).
 * - An explicit selection keeps what it selects plus the key fields and `_links`. Values absent from the
 *   record stay absent: no `null` placeholders are added.
 */
export function projectRecord(
  record: JsonObject,
  selection: FieldSelection | null,
  mode: DefaultProjection,
  keyFields: readonly string[],
): JsonObject {
  const always = (key: string): boolean => key === LINKS_FIELD || keyFields.includes(key);
  let body: JsonObject;
  if (selection === null) {
    if (mode === 'full' || keyFields.length === 0) return cloneJsonObject(record);
    body = {};
  } else {
    body = without(selection.all ? record : pick(record, selection.include), selection.exclude);
  }
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(record)) {
    if (always(key)) setJsonKey(out, key, cloneJson(value));
    else {
      const projected = body[key];
      if (projected !== undefined && Object.hasOwn(body, key)) setJsonKey(out, key, cloneJson(projected));
    }
  }
  return out;
}
