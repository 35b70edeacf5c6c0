/**
 * One person with the groups they are in and the devices bound to them.
 */
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { ServerError } from '../errors.js'
import { personView, type PersonView } from './person-view.js'

/** A person with their groups and devices. */
export interface PersonDetail extends PersonView {
  readonly groups: readonly { readonly id: string; readonly name: string }[]
  readonly devices: readonly { readonly id: string; readonly hostname: string }[]
}

/**
 * Person `id` of `org`; throws SRV_NOT_FOUND when there is none.
 *
 * @example
 * const ada = await getPerson(db, 'acme', id) // { …, groups: [{ id, name }], devices: [{ id, hostname }] }
 */
export async function getPerson(db: Kysely<Database>, org: string, id: string): Promise<PersonDetail> {
  const row = await db.selectFrom('people').selectAll().where('org_id', '=', org).where('id', '=', id).executeTakeFirst()
  if (row === undefined) throw new ServerError('SRV_NOT_FOUND', `no person ${id} in this org`)
  const [groups, devices] = await Promise.all([
    db
      .selectFrom('group_members as m')
      .innerJoin('groups as g', 'g.id', 'm.group_id')
      .select(['g.id', 'g.name'])
      .where('m.org_id', '=', org)
      .where('m.member_id', '=', id)
      .orderBy('g.name_key')
      .orderBy('g.id')
      .execute(),
    db.selectFrom('devices').select(['id', 'hostname']).where('org_id', '=', org).where('person_id', '=', id).orderBy('hostname').orderBy('id').execute(),
  ])
  return { ...personView(row), groups, devices }
}
