/**
 * Closing a delivery — the device answered (completed, rejected) or the
 * command expired before the device could get it — and the command with
 * it once no delivery of it is open (status `done`).
 */
import type { Transaction } from 'kysely'
import { OPEN_DELIVERY_STATUSES, type DeliveryStatus } from '../commands/command-status.js'
import type { Database } from '../db/schema.js'

/**
 * Sets the delivery's final status, then marks the command done if it was
 * the last open one. Run it inside the transaction that stores the answer.
 *
 * @example
 * await settleDelivery(trx, 'acme/cmd-1', 'dev-1', 'completed')
 */
export async function settleDelivery(
  trx: Transaction<Database>,
  key: string,
  deviceId: string,
  status: Exclude<DeliveryStatus, 'pending' | 'sent'>,
): Promise<void> {
  let update = trx.updateTable('deliveries').set({ status, updated_at: Date.now() }).where('command_id', '=', key).where('device_id', '=', deviceId)
  // An answer is final whenever it comes; expiry only closes what is still open.
  if (status === 'expired') update = update.where('status', 'in', OPEN_DELIVERY_STATUSES)
  await update.execute()
  const open = await trx
    .selectFrom('deliveries')
    .select('device_id')
    .where('command_id', '=', key)
    .where('status', 'in', OPEN_DELIVERY_STATUSES)
    .limit(1)
    .executeTakeFirst()
  if (open === undefined) {
    await trx.updateTable('commands').set({ status: 'done' }).where('id', '=', key).where('status', 'in', ['logged', 'delivering']).execute()
  }
}
