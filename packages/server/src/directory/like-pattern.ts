/**
 * Substring search with SQL LIKE, the same on SQLite and PostgreSQL: the
 * search text is normalised like the `*_key` columns and its wildcards are
 * escaped, so `%` and `_` typed by a user match themselves.
 */
import { sql, type Expression, type RawBuilder, type SqlBool } from 'kysely'
import { normaliseKey } from './normalise-key.js'

/**
 * The LIKE pattern matching any text that contains `q` (ignoring case).
 *
 * @example
 * containsPattern('50%_Off') // '%50\\%\\_off%'
 */
export function containsPattern(q: string): string {
  return `%${normaliseKey(q).replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

/**
 * `expr LIKE pattern ESCAPE '\'`.
 *
 * @example
 * .where(likeEscaped(sql.ref('username_key'), containsPattern(q)))
 */
export function likeEscaped(expr: Expression<unknown>, pattern: string): RawBuilder<SqlBool> {
  return sql<SqlBool>`${expr} like ${pattern} escape '\\'`
}
