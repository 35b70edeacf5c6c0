/**
 * One page of an org's groups with their member counts, ordered by name
 * key then id, filtered by kind and a case-insensitive substring of the name.
 */
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { GroupKind } from './group-fields.js'
import { groupView, type GroupView } from './group-view.js'
import { containsPattern, likeEscaped } from './like-pattern.js'
import { formatCursor, type PagePosition } from './page-cursor.js'

/** Filters and page of {@link listGroups}. */
export interface GroupsQuery {
  readonly kind?: GroupKind
  readonly q?: string
  readonly limit: number
  readonly after?: PagePosition
}

/**
 * The page and the cursor of the next one (null on the last page).
 *
 * @example
 * const { groups, nextCursor } = await listGroups(db, 'acme', { kind: 'device', limit: 100 })
 */
export async function listGroups(db: Kysely<Database>, org: string, query: GroupsQuery): Promise<{ groups: GroupView[]; nextCursor: string | null }> {
  let select = db
    .selectFrom('groups as g')
    .selectAll('g')
    .select((eb) => eb.selectFrom('group_members as m').select(sql<number>`count(*)`.as('n')).whereRef('m.group_id', '=', 'g.id').as('members'))
    .where('g.org_id', '=', org)
  if (query.kind !== undefined) select = select.where('g.kind', '=', query.kind)
  if (query.q !== undefined) {
    const pattern = containsPattern(query.q)
    select = select.where((eb) => likeEscaped(eb.ref('g.name_key'), pattern))
  }
  const after = query.after
  if (after !== undefined) {
    select = select.where((eb) => eb.or([eb('g.name_key', '>', after.key), eb.and([eb('g.name_key', '=', after.key), eb('g.id', '>', after.id)])]))
  }
  const rows = await select.orderBy('g.name_key').orderBy('g.id').limit(query.limit + 1).execute()
  const more = rows.length > query.limit
  const page = more ? rows.slice(0, query.limit) : rows
  const last = page.at(-1)
  return {
    groups: page.map(({ members, ...row }) => groupView(row, Number(members ?? 0))),
    nextCursor: more && last !== undefined ? formatCursor({ key: last.name_key, id: last.id }) : null,
  }
}
