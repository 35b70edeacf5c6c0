/**
 * Results and rejections from a device (WIRE.md step 4). The server keeps
 * what devices sign and relays it; it cannot forge a report because it
 * never holds a device key, and it must not accept one a device did not
 * sign. So each report is checked before it is stored:
 *
 * 1. a DSSE envelope of the right payload type, signed by THIS connection's
 *    device key (keyid = keyId(devicePub)); a report signed by anyone else
 *    is refused and raises an alert: a device is relaying another's words;
 * 2. its payload parses (protocol parseCommandResult / parseRejection) and
 *    names this device's org and id;
 * 3. a result must be for a command delivered to this device; otherwise it
 *    is refused with an alert (a device claiming to have run something it
 *    was never sent).
 *
 * A rejection always raises an alert (G6): with the device-signed envelope
 * as evidence, and the delivery marked rejected. A repeated report (the
 * agent re-sends its spool until acked) is acked again, stored once.
 */
import {
  dsse,
  isProtocolError,
  parseCommandResult,
  parseRejection,
  REJECTION_PAYLOAD_TYPE,
  RESULT_PAYLOAD_TYPE,
  type CommandResult,
  type ProtocolErrorCode,
  type Rejection,
} from '@palisade/protocol'
import type { Transaction } from 'kysely'
import { GATEWAY_ALERT_CODES, raiseAlert } from '../alerts/raise-alert.js'
import { commandKey } from '../commands/command-key.js'
import type { Database } from '../db/schema.js'
import type { ReportFrame } from './frames.js'
import type { GatewayErrorCode } from './gateway-codes.js'
import type { AuthenticatedDevice, GatewayContext } from './gateway-context.js'
import { settleDelivery } from './settle-delivery.js'

/** What to answer a report with. */
export type ReportOutcome =
  | { readonly ack: true; readonly commandId: string | null; readonly commandKey: string | null }
  | { readonly ack: false; readonly code: GatewayErrorCode | ProtocolErrorCode; readonly message: string }

/**
 * Checks and stores one report; never throws for bad input (only for
 * storage failures).
 */
export async function handleReport(ctx: GatewayContext, device: AuthenticatedDevice, frame: ReportFrame): Promise<ReportOutcome> {
  const payloadType = frame.type === 'result' ? RESULT_PAYLOAD_TYPE : REJECTION_PAYLOAD_TYPE
  let payload: Uint8Array
  try {
    const envelope = dsse.parseEnvelope(frame.envelope)
    if (envelope.payloadType !== payloadType) return refuse('PROTO_PAYLOAD_TYPE', `a ${frame.type} envelope has payload type ${payloadType}`)
    try {
      dsse.verifyEnvelope(envelope, { payloadType, keys: [{ keyid: device.keyid, publicKey: device.publicKey }], threshold: 1 })
    } catch {
      return refuseWithAlert(ctx, device, 'SRV_GATEWAY_REPORT_SIGNATURE', null, `device ${device.id} sent a ${frame.type} that is not signed by its own device key`)
    }
    payload = envelope.payload
  } catch (e) {
    return refuse(isProtocolError(e) ? e.code : 'SRV_GATEWAY_MALFORMED', `the ${frame.type} envelope is not valid: ${messageOf(e)}`)
  }
  let report: CommandResult | Rejection
  try {
    report = frame.type === 'result' ? parseCommandResult(payload) : parseRejection(payload)
  } catch (e) {
    return refuse(isProtocolError(e) ? e.code : 'SRV_GATEWAY_MALFORMED', `the ${frame.type} payload is not valid: ${messageOf(e)}`)
  }
  if (report.org !== device.org || report.deviceId !== device.id) {
    return refuseWithAlert(ctx, device, 'SRV_GATEWAY_REPORT_UNSOLICITED', report.commandId, `device ${device.id} signed a ${frame.type} naming another org or device`)
  }
  return report.type === 'palisade.result/v1' ? storeResult(ctx, device, report, frame.envelope) : storeRejection(ctx, device, report, frame.envelope)
}

async function storeResult(ctx: GatewayContext, device: AuthenticatedDevice, result: CommandResult, envelope: string): Promise<ReportOutcome> {
  const key = commandKey(device.org, result.commandId)
  const stored = await ctx.commits.run(async (trx) => {
    const delivery = await deliveryOf(trx, key, device.id)
    if (delivery === undefined) return false
    await trx
      .insertInto('results')
      .values({ command_id: key, device_id: device.id, envelope, exit_code: result.exitCode, status: result.status, received_at: Date.now() })
      .onConflict((oc) => oc.columns(['command_id', 'device_id']).doNothing())
      .execute()
    if (delivery !== 'completed') await settleDelivery(trx, key, device.id, 'completed')
    return true
  })
  if (!stored) {
    return refuseWithAlert(ctx, device, 'SRV_GATEWAY_REPORT_UNSOLICITED', result.commandId, `device ${device.id} sent a result for command ${result.commandId}, which was never delivered to it`)
  }
  return { ack: true, commandId: result.commandId, commandKey: key }
}

async function storeRejection(ctx: GatewayContext, device: AuthenticatedDevice, rejection: Rejection, envelope: string): Promise<ReportOutcome> {
  const key = rejection.commandId === null ? null : commandKey(device.org, rejection.commandId)
  const delivery = key === null ? undefined : await deliveryOf(ctx.db, key, device.id)
  if (delivery === 'rejected') return { ack: true, commandId: rejection.commandId, commandKey: key }
  // A rejection of something never delivered here (a forged delivery on the
  // way? a confused agent?) is still an alert, but a budgeted one.
  if (delivery === undefined && !ctx.alerts.take(device.id)) {
    return refuse('SRV_GATEWAY_RATE_LIMITED', 'too many reports that match no delivery; try again later')
  }
  await ctx.commits.run(async (trx) => {
    await raiseAlert(trx, {
      org: device.org,
      deviceId: device.id,
      code: rejection.code,
      message: rejection.message,
      commandId: rejection.commandId,
      details: { source: 'agent', at: rejection.at, envelope },
    })
    if (key !== null && delivery !== undefined && delivery !== 'completed') await settleDelivery(trx, key, device.id, 'rejected')
  })
  ctx.logger.warn({ org: device.org, deviceId: device.id, commandId: rejection.commandId, code: rejection.code }, 'device rejected a delivery')
  return { ack: true, commandId: rejection.commandId, commandKey: key }
}

/** The delivery's status, or undefined when the command was never meant for this device. */
async function deliveryOf(db: Transaction<Database> | GatewayContext['db'], key: string, deviceId: string): Promise<string | undefined> {
  const row = await db.selectFrom('deliveries').select('status').where('command_id', '=', key).where('device_id', '=', deviceId).executeTakeFirst()
  return row?.status
}

async function refuseWithAlert(
  ctx: GatewayContext,
  device: AuthenticatedDevice,
  code: keyof typeof GATEWAY_ALERT_CODES,
  commandId: string | null,
  message: string,
): Promise<ReportOutcome> {
  ctx.logger.warn({ org: device.org, deviceId: device.id, code, commandId }, 'refused a device report')
  if (ctx.alerts.take(device.id)) {
    await ctx.commits.run((trx) => raiseAlert(trx, { org: device.org, deviceId: device.id, code, message, commandId }))
  }
  return refuse(code, message)
}

function refuse(code: GatewayErrorCode | ProtocolErrorCode, message: string): ReportOutcome {
  return { ack: false, code, message }
}

function messageOf(e: unknown): string {
  return isProtocolError(e) ? e.message.slice(0, 300) : 'unreadable'
}
