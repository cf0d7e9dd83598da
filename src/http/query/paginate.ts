/**
 * Applying a parsed query to a collection, and the next-page link (§2.4, §2.9, D21).
 */
import { projectRecord } from './fields-selection.js';
import { matchesFilters } from './filter.js';
import { splitQuery } from './form-encoding.js';
import type { JsonObject } from './json.js';
import { sortRecords } from './order-by.js';
import { MAX_RECORDS_LIMIT, type ParsedQuery, type QueryOptions } from './parse-query.js';

/** One page of a collection GET. */
export interface CollectionPage {
  /** The projected records of this page, in order. */
  readonly records: JsonObject[];
  /** `num_records` of a page: how many records this page holds. */
  readonly numRecords: number;
  /** How many records matched the filters before paging: `num_records` when `return_records=false`. */
  readonly total: number;
  /** Index of the first record of the next page, or null when this page reaches the end. */
  readonly nextOffset: number | null;
}

/**
 * Filters, orders, pages and projects a collection. `records` are wire records in the resource's default
 * order (creation order); ties under `order_by` keep that order. Paging applies `offset`, then `max_records`
 * (10000 when absent). The input records are never modified.
 */
export function queryCollection(
  records: readonly JsonObject[],
  parsed: ParsedQuery,
  options: Pick<QueryOptions, 'keyFields'>,
): CollectionPage {
  const matching = sortRecords(
    records.filter((r) => matchesFilters(r, parsed.filters)),
    parsed.orderBy,
  );
  const limit = parsed.maxRecords ?? MAX_RECORDS_LIMIT;
  const start = Math.min(parsed.offset, matching.length);
  const end = Math.min(start + limit, matching.length);
  const page = matching
    .slice(start, end)
    .map((r) => projectRecord(r, parsed.fields, 'keys', options.keyFields));
  return {
    records: page,
    numRecords: page.length,
    total: matching.length,
    nextOffset: end < matching.length ? end : null,
  };
}

/**
 * The path of an API href: runs of `/` collapsed (D14), a trailing `/` dropped, `/api` in front when missing,
 * and every later `/api` written `/%61pi` (the same path once decoded), so the result starts with `/api/` and
 * contains `/api` nowhere else: one client rewrites next links with a plain text replace of `/api` (§9.4).
 */
export function normalizeApiPath(path: string): string {
  let p = `/${path}`.replace(/\/{2,}/g, '/');
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  if (p !== '/api' && !p.startsWith('/api/')) p = `/api${p === '/' ? '' : p}`;
  return `/api${p.slice(4).replaceAll('/api', '/%61pi')}`;
}

/**
 * The href of the next page (D21): the normalised `path`, then the original query with `offset=<nextOffset>`
 * set. Every other parameter is kept exactly as received, in its place; an existing `offset` is replaced where
 * it stood (a second one is dropped), otherwise `offset` is appended. Any `/api` inside the query is written
 * `%2Fapi`, which decodes to the same value, so the href holds `/api` only at its start.
 */
export function nextHref(path: string, rawQuery: string, nextOffset: number): string {
  const query = rawQuery.startsWith('?') ? rawQuery.slice(1) : rawQuery;
  const offsetPair = `offset=${nextOffset}`;
  const pieces: string[] = [];
  let placed = false;
  for (const pair of splitQuery(query)) {
    if (pair.name === 'offset') {
      if (!placed) pieces.push(offsetPair);
      placed = true;
    } else {
      pieces.push(pair.raw.replaceAll('/api', '%2Fapi'));
    }
  }
  if (!placed) pieces.push(offsetPair);
  return `${normalizeApiPath(path)}?${pieces.join('&')}`;
}
