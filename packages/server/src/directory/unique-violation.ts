/**
 * Recognises a unique-index violation and says which columns it was on, on
 * both databases, so that a duplicate is reported by field even when two
 * requests race past any check we could make first: the unique index is
 * the only judge, and this reads its verdict.
 *
 * - better-sqlite3: code `SQLITE_CONSTRAINT_UNIQUE` (or `_PRIMARYKEY`),
 *   message `UNIQUE constraint failed: people.org_id, people.username_key`;
 * - node-postgres: SQLSTATE `23505`, `detail` `Key (org_id, username_key)=(…) already exists.`
 */

/**
 * The columns of the unique index that `error` violated, or undefined when
 * it is not a unique violation.
 *
 * @example
 * uniqueViolationColumns(Object.assign(new Error('UNIQUE constraint failed: people.org_id, people.email_key'),
 *   { code: 'SQLITE_CONSTRAINT_UNIQUE' })) // ['org_id', 'email_key']
 */
export function uniqueViolationColumns(error: unknown): string[] | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const { code, message, detail } = error as { code?: unknown; message?: unknown; detail?: unknown }
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    const m = /constraint failed: (.+)$/.exec(typeof message === 'string' ? message : '')
    return m === null ? [] : m[1]!.split(',').map((c) => c.trim().replace(/^.*\./, ''))
  }
  if (code === '23505') {
    const m = /^Key \(([^)]*)\)=/.exec(typeof detail === 'string' ? detail : '')
    return m === null ? [] : m[1]!.split(',').map((c) => c.trim())
  }
  return undefined
}
