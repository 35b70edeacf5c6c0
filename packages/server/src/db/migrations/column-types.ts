/**
 * The few column types that differ between SQL dialects, chosen once per
 * dialect and handed to every migration. Everything else in a migration is
 * dialect-neutral schema-builder code.
 */

/** The SQL families the server runs on. */
export type SqlFamily = 'sqlite' | 'postgres'

/** The SQL type names in use (all members of Kysely's `ColumnDataType`). */
export type SqlTypeName = 'blob' | 'bytea' | 'bigint'

/** Dialect-specific column types used by migrations. */
export interface ColumnTypes {
  /** Raw bytes: `blob` in SQLite, `bytea` in PostgreSQL (which has no blob). */
  readonly binary: SqlTypeName
  /**
   * Epoch milliseconds: 64-bit. `bigint` is INTEGER affinity in SQLite and
   * int8 in PostgreSQL; a 32-bit `integer` would overflow in 1970 + 24 days.
   */
  readonly millis: SqlTypeName
  /** Log indexes and tree sizes: 64-bit too, as logs outlive 2^31 entries in theory. */
  readonly count: SqlTypeName
}

/** The column types of a family. */
export function columnTypes(family: SqlFamily): ColumnTypes {
  return Object.freeze({
    binary: family === 'postgres' ? 'bytea' : 'blob',
    millis: 'bigint',
    count: 'bigint',
  })
}
