/**
 * JSON values as they travel on the wire. Records handed to the query layer are already in ONTAP's wire form:
 * snake_case names, date-times as strings (`2025-03-28T14:02:11+00:00`), nested objects and arrays.
 */
export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** Whether a JSON value is an object (not an array, not null). */
export function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A deep copy of a JSON value, so projected records never share structure with the caller's records. */
export function cloneJson(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(cloneJson);
  if (isJsonObject(value)) return cloneJsonObject(value);
  return value;
}

/** A deep copy of a JSON object. */
export function cloneJsonObject(value: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) setJsonKey(out, k, cloneJson(v));
  return out;
}

/**
 * Sets an own property, even one named `__proto__` (a plain assignment would change the prototype instead).
 * Every object this layer builds from record keys goes through here.
 */
export function setJsonKey(target: JsonObject, key: string, value: JsonValue): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
