/**
 * Closing a delivery — the device answered (completed, rejected) or the
 * command expired before the device could get it — and the command with
 * it once no delivery of it is open (status `done`).
 */
import type { Transaction } from 'kysely'
import { OPEN_DELIVERY_STATUSES, type DeliveryStatus } from '../commands/command-status.js'
import type { Database } from '../db/schema.js'
import { doneIfClosed } from './batched-writes.js'
import type { BatchScope } from './group-commit.js'

/**
 * Sets the delivery's final status; the "was it the last open one?" check
 * runs once per command at the end of the batch (batched-writes.ts). Run it
 * inside the group-commit item that stores the answer.
 *
 * @example
 * await commits.run((trx, batch) => settleDelivery(trx, batch, 'acme/cmd-1', 'dev-1', 'rejected'))
 */
export async function settleDelivery(
  trx: Transaction<Database>,
  batch: BatchScope,
  key: string,
  deviceId: string,
  status: Exclude<DeliveryStatus, 'pending' | 'sent'>,
): Promise<void> {
  let update = trx.updateTable('deliveries').set({ status, updated_at: Date.now() }).where('command_id', '=', key).where('device_id', '=', deviceId)
  // An answer is final whenever it comes; expiry only closes what is still open.
  if (status === 'expired') update = update.where('status', 'in', OPEN_DELIVERY_STATUSES)
  await update.execute()
  doneIfClosed(batch, key)
}
