/**
 * Parsing and validating a request's query string against an endpoint (§2.2, §2.5–2.9, D15).
 *
 * Checks run in this order, and the first failure is thrown as an `OntapError`:
 * 1. a parameter named `password` (any case, or a dotted name ending in `.password`) → 262202;
 * 2. a name given twice → 262188, target the name;
 * 3. in query order, a name the endpoint does not accept → 262179 `Unexpected argument "<name>".` (no target).
 *    This covers unknown names, global parameters that do not apply to the target, and filters on fields the
 *    resource does not have, on non-filterable fields, or on any target other than a collection;
 * 4. in query order, the values: 262185 for parameter and filter values, 262197/262286 for `fields`,
 *    262268/262185 for `order_by`.
 */
import { errors } from '../../core/errors.js';
import { isFilterable, resolveField, type ResourceFields } from './field-spec.js';
import { parseFieldSelection, type FieldSelection } from './fields-selection.js';
import { parseFilter, type Filter } from './filter.js';
import { splitQuery, type QueryPair } from './form-encoding.js';
import { parseOrderBy, type OrderKey } from './order-by.js';
import {
  expectations,
  parseBooleanValue,
  parseIntegerValue,
  parseParamValue,
  type ParamSpec,
} from './param-values.js';

/**
 * The kind of request: `collection` (GET on a collection), `record` (GET on an instance such as
 * `/api/cluster/jobs/{uuid}`), `singleton` (GET on `/api/cluster`, `/api/cluster/software`,
 * `/api/cluster/software/download`) and `action` (POST, PATCH, DELETE).
 */
export type QueryTarget = 'collection' | 'record' | 'singleton' | 'action';

export interface QueryOptions {
  readonly target: QueryTarget;
  /** The record's fields, without `_links`. */
  readonly fields: ResourceFields;
  /** Fields every projection keeps: `['uuid']` for jobs, `['version']` for packages, `[]` for history. */
  readonly keyFields: readonly string[];
  /** Endpoint parameters (e.g. `action`, `validate_only`). A name equal to a global parameter is never used. */
  readonly extraParams?: Readonly<Record<string, ParamSpec>>;
  /** `return_timeout` when the query has none: 15 for GET, 0 for POST, PATCH and DELETE (§2.5). */
  readonly defaultReturnTimeout: number;
}

export interface ParsedQuery {
  /** The `fields` selection; null = the target's default (key fields for a collection, full otherwise). */
  readonly fields: FieldSelection | null;
  /** Field filters (collection only); all must hold. */
  readonly filters: readonly Filter[];
  /** Sort keys (collection only); empty = the caller's order. */
  readonly orderBy: readonly OrderKey[];
  /** `max_records`, capped to 10000; null when absent (the page size is then 10000). Collection only. */
  readonly maxRecords: number | null;
  /** Index of the first record to return (collection only). */
  readonly offset: number;
  /** `return_records`: default true for GET, false for actions. */
  readonly returnRecords: boolean;
  /** `return_timeout` in seconds, 0..120. */
  readonly returnTimeout: number;
  /** `pretty=true`: indent the JSON body. */
  readonly pretty: boolean;
  /** Endpoint parameters that were given, typed by their `ParamSpec`. */
  readonly extra: Readonly<Record<string, string | number | boolean>>;
}

/** The largest page (§2.5): larger `max_records` values are capped to it, and it is the default page size. */
export const MAX_RECORDS_LIMIT = 10_000;
export const RETURN_TIMEOUT_MAX = 120;

type GlobalParam =
  | 'fields'
  | 'max_records'
  | 'return_records'
  | 'return_timeout'
  | 'order_by'
  | 'offset'
  | 'pretty'
  | 'ignore_unknown_fields';

const GET_TARGETS: readonly QueryTarget[] = ['collection', 'record', 'singleton'];
const ALL_TARGETS: readonly QueryTarget[] = ['collection', 'record', 'singleton', 'action'];

/** Which targets accept each global parameter (§2.5, D15). */
const GLOBAL_PARAMS: Readonly<Record<GlobalParam, readonly QueryTarget[]>> = {
  fields: GET_TARGETS,
  max_records: GET_TARGETS,
  return_records: ALL_TARGETS,
  return_timeout: ALL_TARGETS,
  order_by: ['collection', 'singleton'],
  offset: ['collection'],
  pretty: ALL_TARGETS,
  ignore_unknown_fields: GET_TARGETS,
};

function isGlobalParam(name: string): name is GlobalParam {
  return Object.hasOwn(GLOBAL_PARAMS, name);
}

function isSecretName(name: string): boolean {
  const lower = name.toLowerCase();
  return lower === 'password' || lower.endsWith('.password');
}

/** What a query parameter is, for an accepted name. */
type Classified =
  | { readonly kind: 'global'; readonly param: GlobalParam }
  | { readonly kind: 'extra'; readonly spec: ParamSpec }
  | { readonly kind: 'filter'; readonly path: readonly string[] };

function classify(name: string, options: QueryOptions): Classified | undefined {
  if (isGlobalParam(name)) {
    return GLOBAL_PARAMS[name].includes(options.target) ? { kind: 'global', param: name } : undefined;
  }
  const extras = options.extraParams;
  if (extras !== undefined && Object.hasOwn(extras, name)) {
    const spec = extras[name];
    return spec === undefined ? undefined : { kind: 'extra', spec };
  }
  if (options.target !== 'collection') return undefined;
  const path = name.split('.');
  const field = resolveField(options.fields, path);
  return field !== undefined && isFilterable(field) ? { kind: 'filter', path } : undefined;
}

/**
 * Parses `rawQuery` (the raw text after `?`, possibly empty) for one endpoint. Pure: throws `OntapError`
 * (see the module comment for the order of checks) and never touches the records.
 *
 * On `record` and `singleton` targets, `max_records`, `return_records` and (singleton) `order_by` are
 * accepted and ignored (D15): the first two are still type-checked, `order_by` is not looked at, and the
 * result carries the defaults (`maxRecords` null, `orderBy` empty, `offset` 0).
 */
export function parseQuery(rawQuery: string, options: QueryOptions): ParsedQuery {
  const pairs = splitQuery(rawQuery);

  for (const pair of pairs) if (isSecretName(pair.name)) throw errors.secretInUrl();

  const seen = new Set<string>();
  for (const pair of pairs) {
    if (seen.has(pair.name)) throw errors.duplicateField(pair.name);
    seen.add(pair.name);
  }

  const classified: (readonly [QueryPair, Classified])[] = pairs.map((pair) => {
    const c = classify(pair.name, options);
    if (c === undefined) throw errors.unexpectedArgument(pair.name);
    return [pair, c] as const;
  });

  const isCollection = options.target === 'collection';
  const ignoreUnknownPair = pairs.find((p) => p.name === 'ignore_unknown_fields');
  const ignoreUnknown = ignoreUnknownPair?.value.toLowerCase() === 'true';

  let fields: FieldSelection | null = null;
  const filters: Filter[] = [];
  let orderBy: OrderKey[] = [];
  let maxRecords: number | null = null;
  let offset = 0;
  let returnRecords = options.target !== 'action';
  let returnTimeout = options.defaultReturnTimeout;
  let pretty = false;
  const extra: Record<string, string | number | boolean> = {};

  for (const [{ name, value }, c] of classified) {
    if (c.kind === 'extra') {
      extra[name] = parseParamValue(name, value, c.spec);
      continue;
    }
    if (c.kind === 'filter') {
      const spec = resolveField(options.fields, c.path)?.spec;
      if (spec !== undefined) filters.push(parseFilter(name, value, c.path, spec));
      continue;
    }
    switch (c.param) {
      case 'fields':
        fields = parseFieldSelection(value, options.fields, ignoreUnknown);
        break;
      case 'max_records': {
        const n = parseIntegerValue(name, value, 1, Number.POSITIVE_INFINITY, expectations.integerAtLeast(1));
        if (isCollection) maxRecords = Math.min(n, MAX_RECORDS_LIMIT);
        break;
      }
      case 'return_records':
        returnRecords = parseBooleanValue(name, value);
        break;
      case 'return_timeout':
        returnTimeout = parseIntegerValue(
          name,
          value,
          0,
          RETURN_TIMEOUT_MAX,
          expectations.integerRange(0, RETURN_TIMEOUT_MAX),
        );
        break;
      case 'order_by':
        if (isCollection) orderBy = parseOrderBy(value, options.fields);
        break;
      case 'offset':
        offset = parseIntegerValue(name, value, 0, Number.POSITIVE_INFINITY, expectations.integerAtLeast(0));
        break;
      case 'pretty':
        pretty = parseBooleanValue(name, value);
        break;
      case 'ignore_unknown_fields':
        parseBooleanValue(name, value);
        break;
    }
  }

  return { fields, filters, orderBy, maxRecords, offset, returnRecords, returnTimeout, pretty, extra };
}
