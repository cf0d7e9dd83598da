/**
 * Form-style decoding of a raw query string (`application/x-www-form-urlencoded`): `&` separates pairs, the
 * first `=` separates name and value, `+` is a space and `%XX` sequences are UTF-8 percent-escapes, so `%2B`
 * is a literal plus (§2.7).
 */

/** One `name=value` pair: as received and decoded. */
export interface QueryPair {
  /** The pair exactly as it appeared in the raw query (no decoding). */
  readonly raw: string;
  readonly name: string;
  readonly value: string;
}

/**
 * Decodes one form-encoded component. A malformed escape (`%zz`, a lone `%`, invalid UTF-8) does not throw:
 * the text is decoded run by run and any run that cannot be decoded is kept as written.
 */
export function formDecode(component: string): string {
  const spaced = component.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
}

/**
 * Splits a raw query string (the part after `?`, without it) into decoded pairs, in order. Empty pieces
 * (`a=1&&b=2`, a trailing `&`) are skipped. A piece without `=` has the empty string as its value.
 */
export function splitQuery(rawQuery: string): QueryPair[] {
  const query = rawQuery.startsWith('?') ? rawQuery.slice(1) : rawQuery;
  const pairs: QueryPair[] = [];
  for (const raw of query.split('&')) {
    if (raw === '') continue;
    const eq = raw.indexOf('=');
    const rawName = eq === -1 ? raw : raw.slice(0, eq);
    const rawValue = eq === -1 ? '' : raw.slice(eq + 1);
    pairs.push({ raw, name: formDecode(rawName), value: formDecode(rawValue) });
  }
  return pairs;
}
