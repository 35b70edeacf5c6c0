/**
 * One group with its member count and a page of its members (people of a
 * user group, devices of a device group), ordered by member id.
 */
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { ServerError } from '../errors.js'
import { groupView, type GroupView } from './group-view.js'
import { formatCursor } from './page-cursor.js'

/** A member as a group lists it (see group-view.ts MEMBER_SCHEMA). */
export type MemberView =
  | { readonly id: string; readonly username: string; readonly name: string; readonly email: string; readonly status: string }
  | { readonly id: string; readonly hostname: string; readonly os: string | null; readonly personId: string | null }

/** A group with a page of members. */
export interface GroupDetail extends GroupView {
  readonly members: readonly MemberView[]
  readonly nextCursor: string | null
}

/**
 * Group `id` of `org` with the members after `afterId` (exclusive), at most `limit`.
 * Throws SRV_NOT_FOUND when there is no such group.
 *
 * @example
 * const eng = await getGroup(db, 'acme', id, { limit: 100 })
 */
export async function getGroup(db: Kysely<Database>, org: string, id: string, page: { readonly limit: number; readonly afterId?: string }): Promise<GroupDetail> {
  const row = await db.selectFrom('groups').selectAll().where('org_id', '=', org).where('id', '=', id).executeTakeFirst()
  if (row === undefined) throw new ServerError('SRV_NOT_FOUND', `no group ${id} in this org`)
  const count = await db.selectFrom('group_members').select(sql<number>`count(*)`.as('n')).where('group_id', '=', id).executeTakeFirstOrThrow()
  const members: MemberView[] =
    row.kind === 'user'
      ? (await db
          .selectFrom('group_members as m')
          .innerJoin('people as p', 'p.id', 'm.member_id')
          .select(['p.id', 'p.username', 'p.name', 'p.email', 'p.status'])
          .where('m.group_id', '=', id)
          .$if(page.afterId !== undefined, (q) => q.where('m.member_id', '>', page.afterId!))
          .orderBy('m.member_id')
          .limit(page.limit + 1)
          .execute())
      : (await db
          .selectFrom('group_members as m')
          .innerJoin('devices as d', 'd.id', 'm.member_id')
          .select(['d.id', 'd.hostname', 'd.os', 'd.person_id'])
          .where('m.group_id', '=', id)
          .$if(page.afterId !== undefined, (q) => q.where('m.member_id', '>', page.afterId!))
          .orderBy('m.member_id')
          .limit(page.limit + 1)
          .execute()).map(({ person_id, ...d }) => ({ ...d, personId: person_id }))
  const more = members.length > page.limit
  const shown = more ? members.slice(0, page.limit) : members
  const last = shown.at(-1)
  return {
    ...groupView(row, Number(count.n)),
    members: shown,
    nextCursor: more && last !== undefined ? formatCursor({ key: last.id, id: last.id }) : null,
  }
}
