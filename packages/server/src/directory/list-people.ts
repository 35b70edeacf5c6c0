/**
 * One page of an org's people, ordered by username key then id (stable),
 * filtered by a case-insensitive substring of username, email or name, a
 * status, or membership of a group. Keyset pagination (page-cursor.ts).
 *
 * Name matching ignores case through SQL lower(): Unicode-aware on
 * PostgreSQL, ASCII-only on SQLite; usernames and emails are matched on
 * their normalised keys, so fully on both.
 */
import { sql, type Kysely } from 'kysely'
import type { Database, Row } from '../db/schema.js'
import { ServerError } from '../errors.js'
import { containsPattern, likeEscaped } from './like-pattern.js'
import { formatCursor, type PagePosition } from './page-cursor.js'

/** Filters and page of {@link listPeople}. */
export interface PeopleQuery {
  readonly q?: string
  readonly status?: string
  readonly group?: string
  readonly limit: number
  readonly after?: PagePosition
}

/**
 * The page, and the cursor of the next one (null on the last page).
 * Throws SRV_NOT_FOUND when `group` is not a group of the org.
 *
 * @example
 * const { rows, nextCursor } = await listPeople(db, 'acme', { q: 'ada', limit: 50 })
 */
export async function listPeople(db: Kysely<Database>, org: string, query: PeopleQuery): Promise<{ rows: Row<'people'>[]; nextCursor: string | null }> {
  if (query.group !== undefined) {
    const group = await db.selectFrom('groups').select('id').where('org_id', '=', org).where('id', '=', query.group).executeTakeFirst()
    if (group === undefined) {
      throw new ServerError('SRV_NOT_FOUND', `no group ${query.group} in this org`, { errors: [{ path: '/querystring/group', message: 'is not a group of this org' }] })
    }
  }
  let select = db.selectFrom('people').selectAll().where('org_id', '=', org)
  if (query.q !== undefined) {
    const pattern = containsPattern(query.q)
    select = select.where((eb) => eb.or([
      likeEscaped(eb.ref('username_key'), pattern),
      likeEscaped(eb.ref('email_key'), pattern),
      likeEscaped(sql`lower(${eb.ref('name')})`, pattern),
    ]))
  }
  if (query.status !== undefined) select = select.where('status', '=', query.status)
  if (query.group !== undefined) {
    const group = query.group
    select = select.where('id', 'in', (eb) => eb.selectFrom('group_members').select('member_id').where('group_id', '=', group).where('org_id', '=', org))
  }
  const after = query.after
  if (after !== undefined) {
    select = select.where((eb) => eb.or([eb('username_key', '>', after.key), eb.and([eb('username_key', '=', after.key), eb('id', '>', after.id)])]))
  }
  const rows = await select.orderBy('username_key').orderBy('id').limit(query.limit + 1).execute()
  const more = rows.length > query.limit
  const page = more ? rows.slice(0, query.limit) : rows
  const last = page.at(-1)
  return { rows: page, nextCursor: more && last !== undefined ? formatCursor({ key: last.username_key, id: last.id }) : null }
}
