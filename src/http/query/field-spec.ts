/**
 * The description of a resource's fields that the query layer validates `fields`, filters and `order_by`
 * against (§2.6–2.8). A spec describes the wire form of one record, without `_links`.
 */

/** The wire type of a field. `datetime` values are ISO-8601 strings with an offset (§2.14). */
export type FieldType = 'string' | 'integer' | 'datetime' | 'boolean' | 'enum' | 'object';

export interface FieldSpec {
  readonly type: FieldType;
  /** The allowed values of an `enum` field, as sent on the wire. */
  readonly values?: readonly string[];
  /** Sub-fields of an `object` field (or of each element when `array` is set). Without it the object is opaque. */
  readonly children?: Readonly<Record<string, FieldSpec>>;
  /** The value is an array: of objects when `type` is `object`, of scalars otherwise. */
  readonly array?: boolean;
  /** Whether the field can be used as a filter. Default: true for scalars; objects are never filterable. */
  readonly filterable?: boolean;
  /** Whether the field can be used in `order_by`. Default: true for non-array scalars. */
  readonly orderable?: boolean;
}

/** The top-level fields of a record, WITHOUT `_links` (which every projection keeps). */
export type ResourceFields = Readonly<Record<string, FieldSpec>>;

/** A field reached by a dotted path. */
export interface ResolvedField {
  readonly spec: FieldSpec;
  /** True when the path, leaf included, goes through an array: several values per record are possible. */
  readonly multiValued: boolean;
}

/** The name every record carries for its HAL links; not part of `ResourceFields`. */
export const LINKS_FIELD = '_links';

/**
 * Resolves a dotted path (`node.name`, `nodes.version`) against a resource's fields, stepping into the
 * children of objects and of arrays of objects. Returns undefined for any name the resource does not have.
 * Only own properties count, so `constructor` or `__proto__` are never fields.
 */
export function resolveField(fields: ResourceFields, path: readonly string[]): ResolvedField | undefined {
  let level: Readonly<Record<string, FieldSpec>> | undefined = fields;
  let spec: FieldSpec | undefined;
  let multiValued = false;
  for (const segment of path) {
    if (level === undefined || !Object.hasOwn(level, segment)) return undefined;
    spec = level[segment];
    if (spec === undefined) return undefined;
    if (spec.array === true) multiValued = true;
    level = spec.type === 'object' ? spec.children : undefined;
  }
  return spec === undefined ? undefined : { spec, multiValued };
}

/** Whether a field holds scalar values (possibly in an array). */
export function isScalar(spec: FieldSpec): boolean {
  return spec.type !== 'object';
}

/** Whether `name=<query>` may filter on this field (§2.7). */
export function isFilterable(field: ResolvedField): boolean {
  return isScalar(field.spec) && field.spec.filterable !== false;
}

/** Whether `order_by` may use this field (§2.8): a scalar with one value per record. */
export function isOrderable(field: ResolvedField): boolean {
  return isScalar(field.spec) && !field.multiValued && field.spec.orderable !== false;
}
