/**
 * `order_by` (§2.8): `<field>[ asc|desc][,<field>[ asc|desc]...]`, ascending by default. The space arrives
 * form-encoded (`+` or `%20`). Dotted names are allowed when they reach a single scalar (`node.name`, not
 * `nodes.name`). Sorting is stable, so records that compare equal keep the caller's order (creation order, D21).
 */
import { errors } from '../../core/errors.js';
import { isOrderable, resolveField, type FieldSpec, type ResourceFields } from './field-spec.js';
import { valuesAt } from './filter.js';
import type { JsonObject } from './json.js';
import { expectations } from './param-values.js';
import { compareKeys, recordKey, type Comparable } from './typed-value.js';

export type SortDirection = 'asc' | 'desc';

/** One sort key of `order_by`. */
export interface OrderKey {
  /** The field name as written, e.g. `start_time` or `node.name`. */
  readonly name: string;
  readonly path: readonly string[];
  readonly spec: FieldSpec;
  readonly direction: SortDirection;
}

/**
 * Parses an `order_by` value against a resource's fields. The empty value (and empty items) add no key.
 * Each item is a name optionally followed by `asc` or `desc` (case-insensitive), separated by spaces.
 * Throws 262268 `Field "<field>" is not supported for order_by.` (target `order_by`) for an unknown,
 * non-scalar, multi-valued or non-orderable field, and then 262185 (target `order_by`, the whole value echoed)
 * for any other direction word or extra words.
 */
export function parseOrderBy(value: string, fields: ResourceFields): OrderKey[] {
  const keys: OrderKey[] = [];
  for (const item of value.split(',')) {
    const words = item.split(' ').filter((w) => w !== '');
    const [name, directionWord, ...extra] = words;
    if (name === undefined) continue;
    const path = name.split('.');
    const field = resolveField(fields, path);
    if (field === undefined || !isOrderable(field)) throw errors.orderByUnsupported(name);
    const direction = directionWord?.toLowerCase() ?? 'asc';
    if ((direction !== 'asc' && direction !== 'desc') || extra.length > 0) {
      throw errors.invalidValue('order_by', value, expectations.direction);
    }
    keys.push({ name, path, spec: field.spec, direction });
  }
  return keys;
}

/** Orders two sort-key tuples; unset keys sort as the largest value (after all set values ascending). */
function compareTuples(
  a: readonly (Comparable | undefined)[],
  b: readonly (Comparable | undefined)[],
  keys: readonly OrderKey[],
): number {
  for (let i = 0; i < keys.length; i += 1) {
    const ka = a[i];
    const kb = b[i];
    let c: number;
    if (ka === undefined || kb === undefined) c = ka === kb ? 0 : ka === undefined ? 1 : -1;
    else c = compareKeys(ka, kb);
    if (c !== 0) return keys[i]?.direction === 'desc' ? -c : c;
  }
  return 0;
}

function sortKeys(record: JsonObject, keys: readonly OrderKey[]): (Comparable | undefined)[] {
  return keys.map((key) => {
    const [value] = valuesAt(record, key.path);
    return value === undefined ? undefined : recordKey(key.spec, value);
  });
}

/**
 * Compares two records by the keys in turn. A record whose field is unset (or unreadable as the field's type)
 * sorts after every set value when ascending and before them when descending, as if it were the largest.
 */
export function compareRecords(a: JsonObject, b: JsonObject, keys: readonly OrderKey[]): number {
  return compareTuples(sortKeys(a, keys), sortKeys(b, keys), keys);
}

/**
 * A stably sorted copy of `records` (see `compareRecords`); with no keys the input order is kept. Each record's
 * sort keys are computed once.
 */
export function sortRecords<T extends JsonObject>(records: readonly T[], keys: readonly OrderKey[]): T[] {
  if (keys.length === 0) return [...records];
  return records
    .map((record) => ({ record, tuple: sortKeys(record, keys) }))
    .sort((a, b) => compareTuples(a.tuple, b.tuple, keys))
    .map(({ record }) => record);
}
