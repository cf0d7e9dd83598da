/**
 * Typed comparison of field values, shared by filters and `order_by` (§2.7, §2.8): integers numerically,
 * date-times chronologically (offsets honoured), booleans false < true, strings and enums alphabetically and
 * case-insensitively (D21). Values are reduced to a comparable key: a number or a lower-cased string.
 */
import type { FieldSpec } from './field-spec.js';
import type { JsonValue } from './json.js';

export type Comparable = number | string;

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/;
const INTEGER = /^[+-]?\d+$/;

/**
 * Parses an ISO-8601 date-time to epoch milliseconds. Accepted: `YYYY-MM-DDTHH:MM[:SS[.fff]]` with an offset
 * (`+00:00`, `-0800`, `+05`, `Z`) or without one (read as UTC, the server's zone, D3), and a bare date
 * (midnight UTC). Impossible dates (`2025-02-30`) and out-of-range parts give undefined.
 */
export function parseDateTime(text: string): number | undefined {
  const m = DATE_TIME.exec(text);
  if (m === null) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone = 'Z'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const millis = Number(frac.slice(0, 3).padEnd(3, '0'));
  const base = new Date(Date.UTC(year, month - 1, day, hour, minute, second, millis));
  base.setUTCFullYear(year); // Date.UTC maps years 0..99 to 1900..1999
  if (base.getUTCDate() !== day || base.getUTCMonth() !== month - 1) return undefined;
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2)) : 0;
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (oh * 60 + om);
  }
  return base.getTime() - offsetMinutes * 60_000;
}

/**
 * The comparable key of a literal written in a query, or undefined when the text does not fit the field's
 * type (`code=abc`). Enum literals are not checked against the enum's values here.
 */
export function literalKey(spec: FieldSpec, text: string): Comparable | undefined {
  switch (spec.type) {
    case 'integer':
      return INTEGER.test(text) ? Number(text) : undefined;
    case 'datetime':
      return parseDateTime(text);
    case 'boolean': {
      const lower = text.toLowerCase();
      return lower === 'true' ? 1 : lower === 'false' ? 0 : undefined;
    }
    case 'string':
    case 'enum':
    case 'object':
      return text.toLowerCase();
  }
}

/**
 * The comparable key of a value found in a record, or undefined when it is unset or cannot be read as the
 * field's type (such a value matches only `!null` and sorts with the unset values).
 */
export function recordKey(spec: FieldSpec, value: JsonValue): Comparable | undefined {
  if (value === null || typeof value === 'object') return undefined;
  switch (spec.type) {
    case 'integer':
      if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
      return typeof value === 'string' ? literalKey(spec, value) : undefined;
    case 'boolean':
      if (typeof value === 'boolean') return value ? 1 : 0;
      return typeof value === 'string' ? literalKey(spec, value) : undefined;
    case 'datetime':
      return typeof value === 'string' ? parseDateTime(value) : undefined;
    case 'string':
    case 'enum':
    case 'object':
      return String(value).toLowerCase();
  }
}

/** Orders two keys of the same field. Keys of one field always share a JS type. */
export function compareKeys(a: Comparable, b: Comparable): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** The text a wildcard pattern is matched against: the value as it appears on the wire, lower-cased. */
export function patternSubject(value: JsonValue): string | undefined {
  if (value === null || typeof value === 'object') return undefined;
  return String(value).toLowerCase();
}
