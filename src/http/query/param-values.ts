/**
 * Validation of parameter values (§2.5). Every failure is `262185`
 * `Invalid value "<v>" for "<name>". Expected <expectation>.` with target `<name>`.
 */
import { errors } from '../../core/errors.js';

/** How an endpoint-specific query parameter (e.g. `action`, `validate_only`) is validated. */
export type ParamSpec =
  | { readonly type: 'boolean' }
  | { readonly type: 'integer'; readonly min: number; readonly max: number }
  | { readonly type: 'enum'; readonly values: readonly string[] }
  | { readonly type: 'string' };

/** The `<expectation>` texts, shared with the filter layer so both say the same thing. */
export const expectations = {
  boolean: 'true or false',
  integer: 'an integer',
  integerRange: (min: number, max: number) => `an integer from ${min} to ${max}`,
  integerAtLeast: (min: number) =>
    min === 1 ? 'a positive integer' : min === 0 ? 'a non-negative integer' : `an integer of at least ${min}`,
  oneOf: (values: readonly string[]) => `one of: ${values.join(', ')}`,
  dateTime: 'a date-time such as 2025-03-28T14:02:11+00:00',
  booleanNoOrder: 'true or false (<, >, <=, >= and .. do not apply to booleans)',
  quoted: 'a value whose quotes and braces are closed',
  direction: 'a field name optionally followed by asc or desc',
} as const;

const INTEGER = /^[+-]?\d+$/;

/** Booleans are `true`/`false`, case-insensitive, because Python clients send `True`/`False` (D14). */
export function parseBooleanValue(name: string, value: string): boolean {
  const lower = value.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw errors.invalidValue(name, value, expectations.boolean);
}

/** A decimal integer within [min, max]; `expectation` names the accepted range in the error. */
export function parseIntegerValue(
  name: string,
  value: string,
  min: number,
  max: number,
  expectation: string,
): number {
  if (!INTEGER.test(value)) throw errors.invalidValue(name, value, expectation);
  const n = Number(value);
  if (n < min || n > max) throw errors.invalidValue(name, value, expectation);
  return n;
}

/** Validates a value against an endpoint parameter's spec and returns it typed. Enum values match exactly. */
export function parseParamValue(name: string, value: string, spec: ParamSpec): string | number | boolean {
  switch (spec.type) {
    case 'boolean':
      return parseBooleanValue(name, value);
    case 'integer':
      return parseIntegerValue(
        name,
        value,
        spec.min,
        spec.max,
        expectations.integerRange(spec.min, spec.max),
      );
    case 'enum':
      if (!spec.values.includes(value))
        throw errors.invalidValue(name, value, expectations.oneOf(spec.values));
      return value;
    case 'string':
      return value;
  }
}
