/**
 * Forward-only numbered migrations, independent of the database engine. An adapter reads the ids already
 * applied, asks `pendingMigrations` what to run, and applies each one in its own transaction together with
 * the row that records it.
 */
export interface Migration {
  /** 1, 2, 3, … without gaps; never renumbered once released. */
  readonly id: number;
  readonly name: string;
  readonly sql: string;
}

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

/** Throws unless the ids are 1, 2, 3, … in order (a broken build, not a broken database). */
export function assertMigrationList(known: readonly Migration[]): void {
  known.forEach((m, i) => {
    if (m.id !== i + 1) {
      throw new MigrationError(
        `migration list is not numbered 1..n: position ${i + 1} holds id ${m.id} (${m.name})`,
      );
    }
  });
}

/**
 * The migrations still to run, in order. Refuses (throws) when the database was migrated by a newer build
 * (an applied id this build does not know) or when the applied ids are not exactly a prefix of the known
 * list: running older code against either could corrupt data.
 */
export function pendingMigrations(applied: readonly number[], known: readonly Migration[]): Migration[] {
  assertMigrationList(known);
  const sorted = [...applied].sort((a, b) => a - b);
  const newest = known.at(-1)?.id ?? 0;
  const unknown = sorted.find((id) => !Number.isInteger(id) || id < 1 || id > newest);
  if (unknown !== undefined) {
    throw new MigrationError(
      `database has migration ${unknown}, which this build does not know (newest known is ${newest}); ` +
        'it was migrated by a newer version, refusing to start',
    );
  }
  sorted.forEach((id, i) => {
    const expected = i + 1;
    if (id !== expected) {
      throw new MigrationError(
        `database has migration ${id} applied but migration ${expected} missing; ` +
          'applied migrations must be a prefix of the known list, refusing to start',
      );
    }
  });
  return known.slice(sorted.length);
}
