/**
 * Deletes a group and its memberships in one transaction. The group row is
 * locked first (lock-rows.ts), so a concurrent membership change either
 * committed before — and its rows are deleted here — or waits and then
 * finds no group; the foreign key from group_members to groups backs this up.
 * The caller supplies the transaction: the route's, which also records the
 * audit event (audit/audited-transaction.ts).
 */
import type { Transaction } from 'kysely'
import type { Database } from '../db/schema.js'
import { ServerError } from '../errors.js'
import { lockGroup } from './lock-rows.js'

/**
 * Deletes group `id` of `org`; returns how many memberships went with it.
 * Throws SRV_NOT_FOUND when there is no such group.
 *
 * @example
 * const { memberships } = await withTransaction(db, (trx) => deleteGroup(trx, 'acme', id))
 */
export async function deleteGroup(trx: Transaction<Database>, org: string, id: string): Promise<{ memberships: number }> {
  if ((await lockGroup(trx, org, id)) === undefined) throw new ServerError('SRV_NOT_FOUND', `no group ${id} in this org`)
  const removed = await trx.deleteFrom('group_members').where('group_id', '=', id).executeTakeFirst()
  await trx.deleteFrom('groups').where('org_id', '=', org).where('id', '=', id).execute()
  return { memberships: Number(removed.numDeletedRows) }
}
