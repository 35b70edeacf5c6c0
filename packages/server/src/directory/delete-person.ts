/**
 * Deletes a person, their group memberships and their device bindings in
 * one transaction, so no membership or device ever points at a deleted
 * person. The person's row goes first: that takes its lock, so a
 * concurrent "add to group" or "bind device" (which lock the row before
 * writing, see lock-rows.ts) either committed before — and its row is
 * removed by the statements that follow — or waits and then finds no person.
 *
 * The caller supplies the transaction: the route's, which also records the
 * audit event (audit/audited-transaction.ts).
 */
import type { Transaction } from 'kysely'
import type { Database } from '../db/schema.js'
import { ServerError } from '../errors.js'

/** What a deletion removed besides the person. */
export interface DeletedPerson {
  readonly memberships: number
  readonly devices: number
}

/**
 * Deletes person `id` of `org` in `trx`; throws SRV_NOT_FOUND when there is none.
 *
 * @example
 * const { memberships, devices } = await withTransaction(db, (trx) => deletePerson(trx, 'acme', id))
 */
export async function deletePerson(trx: Transaction<Database>, org: string, id: string): Promise<DeletedPerson> {
  const deleted = await trx.deleteFrom('people').where('org_id', '=', org).where('id', '=', id).executeTakeFirst()
  if (Number(deleted.numDeletedRows) === 0) throw new ServerError('SRV_NOT_FOUND', `no person ${id} in this org`)
  const memberships = await trx.deleteFrom('group_members').where('org_id', '=', org).where('member_id', '=', id).executeTakeFirst()
  const devices = await trx.updateTable('devices').set({ person_id: null }).where('org_id', '=', org).where('person_id', '=', id).executeTakeFirst()
  return { memberships: Number(memberships.numDeletedRows), devices: Number(devices.numUpdatedRows) }
}
