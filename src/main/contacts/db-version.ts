import type { Db } from '../db/connection.ts';

/**
 * A value that changes whenever the database may have changed: another connection's
 * commit (data_version) or a change through this one (total_changes). Counts over a
 * million rows are remembered under it (segment counts, the lists' counts).
 */
export function dbVersion(db: Db): string {
  return db
    .prepare("SELECT (SELECT data_version FROM pragma_data_version) || ':' || total_changes()")
    .pluck()
    .get() as string;
}

/** Remembers values per connection until dbVersion changes. */
export class VersionedCache<T> {
  private readonly byDb = new WeakMap<Db, { version: string; values: Map<string, T> }>();

  get(db: Db, key: string, compute: () => T): T {
    const version = dbVersion(db);
    let entry = this.byDb.get(db);
    if (!entry || entry.version !== version) {
      entry = { version, values: new Map() };
      this.byDb.set(db, entry);
    }
    if (entry.values.has(key)) return entry.values.get(key) as T;
    const value = compute();
    if (entry.values.size >= 200) entry.values.clear();
    entry.values.set(key, value);
    return value;
  }
}
