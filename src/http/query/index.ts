/**
 * The ONTAP query-string layer (§2.5–2.9): pure functions over wire-form JSON records.
 *
 * Typical use by a route:
 * ```ts
 * const parsed = parseQuery(rawQuery, options);                      // throws OntapError
 * const page = queryCollection(records, parsed, options);             // collection GET
 * const body = projectRecord(record, parsed.fields, 'full', options.keyFields); // instance/singleton GET
 * if (page.nextOffset !== null) next = nextHref(path, rawQuery, page.nextOffset);
 * ```
 */
export type { FieldSpec, FieldType, ResolvedField, ResourceFields } from './field-spec.js';
export { isFilterable, isOrderable, resolveField, LINKS_FIELD } from './field-spec.js';
export type { DefaultProjection, FieldSelection, SelectionTree } from './fields-selection.js';
export { parseFieldSelection, projectRecord } from './fields-selection.js';
export type { CompareOp, Filter, FilterAlternative, FilterTerm } from './filter.js';
export { matchesFilter, matchesFilters, parseFilter } from './filter.js';
export type { QueryPair } from './form-encoding.js';
export { formDecode, splitQuery } from './form-encoding.js';
export type { JsonObject, JsonPrimitive, JsonValue } from './json.js';
export type { OrderKey, SortDirection } from './order-by.js';
export { compareRecords, parseOrderBy, sortRecords } from './order-by.js';
export type { CollectionPage } from './paginate.js';
export { nextHref, normalizeApiPath, queryCollection } from './paginate.js';
export type { ParamSpec } from './param-values.js';
export type { ParsedQuery, QueryOptions, QueryTarget } from './parse-query.js';
export { MAX_RECORDS_LIMIT, RETURN_TIMEOUT_MAX, parseQuery } from './parse-query.js';
export { parseDateTime } from './typed-value.js';
