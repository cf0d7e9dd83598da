export type { JsonObject, JsonValue } from './query/json.js';

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** D3: ISO-8601 with a numeric offset and no fractional seconds, always rendered in UTC as `+00:00`. */
export function ontapTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, '+00:00');
}
