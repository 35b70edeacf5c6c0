/**
 * The comparison key of a name that must be unique regardless of case and
 * Unicode spelling (usernames, emails, group names): NFC, then lower case,
 * then NFC again (lower-casing can un-compose a few characters). Stored in
 * the `*_key` columns beside the value as typed, under a plain unique index
 * that works the same on SQLite and PostgreSQL.
 */

/**
 * The unique key of `text`.
 *
 * @example
 * normaliseKey('Ada@Example.COM') // 'ada@example.com'
 * normaliseKey('E\u0301QUIPE') === normaliseKey('\u00c9quipe') // true
 */
export function normaliseKey(text: string): string {
  return text.normalize('NFC').toLowerCase().normalize('NFC')
}
