/**
 * Stores an alert: the server's record that something an org must look at
 * happened, above all a device refusing a delivery (DESIGN.md G6: a
 * rejected command is the strongest sign that the server is compromised).
 *
 * Alert codes are the agent's rejection codes (PROTO_*, AGENT_*) passed
 * through as the device signed them, or one of {@link GATEWAY_ALERT_CODES}
 * when the gateway itself refused a device's report.
 */
import { randomBytes } from 'node:crypto'
import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../db/schema.js'

/** Alerts the gateway raises on its own account. Stable: never reuse a code. */
export const GATEWAY_ALERT_CODES = {
  SRV_GATEWAY_REPORT_SIGNATURE: 'a device sent a result or rejection that is not signed by its own device key',
  SRV_GATEWAY_REPORT_UNSOLICITED: 'a device sent a result for a command that was not delivered to it, or that names another org or device',
} as const

/** An alert to store. */
export interface NewAlert {
  readonly org: string
  readonly deviceId: string | null
  readonly code: string
  /** Shown to admins; may come from a device (bounded by the caller). */
  readonly message: string
  readonly commandId: string | null
  /** Evidence, stored as JSON (for example the device-signed rejection envelope). */
  readonly details?: Readonly<Record<string, unknown>>
}

/** Longest message stored; device-written messages are cut to it. */
export const MAX_ALERT_MESSAGE = 4096

/**
 * Inserts the alert and returns its id.
 *
 * @example
 * await raiseAlert(db, { org: 'acme', deviceId: 'dev-1', code: 'PROTO_NOT_IN_LOG', message: '…', commandId: 'cmd-1' })
 */
export async function raiseAlert(db: Kysely<Database> | Transaction<Database>, alert: NewAlert, now = Date.now()): Promise<string> {
  const id = `alert-${randomBytes(10).toString('hex')}`
  await db
    .insertInto('alerts')
    .values({
      id,
      org_id: alert.org,
      device_id: alert.deviceId,
      code: alert.code.slice(0, 64),
      message: alert.message.slice(0, MAX_ALERT_MESSAGE),
      command_id: alert.commandId,
      details: JSON.stringify(alert.details ?? {}),
      created_at: now,
    })
    .execute()
  return id
}
