/**
 * Binds a device to a person of the same org, or unbinds it. The person's
 * row is locked first (lock-rows.ts): a concurrent deletion of that person
 * either finished before — the bind then finds no person — or waits and
 * then unbinds the device itself. A device is never left bound to nobody.
 * The caller supplies the transaction: the route's, which also records the
 * audit event (audit/audited-transaction.ts).
 */
import type { Transaction } from 'kysely'
import type { Database } from '../db/schema.js'
import { ServerError } from '../errors.js'
import { lockMembers } from './lock-rows.js'

/**
 * Sets device `deviceId`'s person to `personId` (null unbinds). Throws SRV_NOT_FOUND when the
 * device, or the person (naming `/body/personId`), is not of `org`.
 *
 * @example
 * await withTransaction(db, (trx) => bindDevice(trx, 'acme', deviceId, personId))
 */
export async function bindDevice(trx: Transaction<Database>, org: string, deviceId: string, personId: string | null): Promise<void> {
  if (personId !== null && !(await lockMembers(trx, org, 'user', [personId])).has(personId)) {
    throw new ServerError('SRV_NOT_FOUND', `no person ${personId} in this org`, { errors: [{ path: '/body/personId', message: `no person ${personId} in this org` }] })
  }
  const updated = await trx.updateTable('devices').set({ person_id: personId }).where('org_id', '=', org).where('id', '=', deviceId).executeTakeFirst()
  if (Number(updated.numUpdatedRows) === 0) throw new ServerError('SRV_NOT_FOUND', `no device ${deviceId} in this org`)
}
