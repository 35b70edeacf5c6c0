/**
 * A command's life (WIRE.md): `awaiting-signatures` until a threshold of
 * admin keys of the current root signed; `logged` once its envelope is in
 * the org's log under a cosigned checkpoint and a delivery exists per
 * target; `delivering` once the gateway sent it to a device; `done` when
 * every target answered with a result or a rejection.
 *
 * Deliveries are created with the log entry (log-command.ts: log order per
 * device), so they exist, unsendable, while the checkpoint that covers the
 * entry is being published. A checkpoint of a later command may cover it
 * first, or its own publication may fail: its deliveries then go all the
 * same, and the gateway moves the command from `awaiting-signatures`
 * straight to `delivering` or `done`.
 *
 * Deliveries: `pending` (not yet sent), `sent`, then `completed` (a signed
 * result came back), `rejected` (the device refused it; an alert exists) or
 * `expired` (the command's validity window closed before the device
 * connected, so it was never sent: sending it would only raise a false
 * alarm, PROTO_EXPIRED).
 */
export const COMMAND_STATUSES = ['awaiting-signatures', 'logged', 'delivering', 'done'] as const
/** A command status. */
export type CommandStatus = (typeof COMMAND_STATUSES)[number]

export const DELIVERY_STATUSES = ['pending', 'sent', 'completed', 'rejected', 'expired'] as const
/** A delivery status. */
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number]

/** Delivery statuses that still wait for the device. */
export const OPEN_DELIVERY_STATUSES: readonly DeliveryStatus[] = Object.freeze(['pending', 'sent'])
/** Delivery statuses of a target that is finished with. */
export const CLOSED_DELIVERY_STATUSES: readonly DeliveryStatus[] = Object.freeze(['completed', 'rejected', 'expired'])
