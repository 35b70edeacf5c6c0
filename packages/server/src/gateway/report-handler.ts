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
 * as evidence, and the delivery marked rejected. An alert the device raised
 * on its own account (palisade.alert/v1, e.g. AGENT_CHECKPOINT_STALE) is
 * stored as an alert too, from the device's budget (alert-budget.ts), and
 * acked with a null command id. A repeated report (the
 * agent re-sends its spool until acked) is acked again, stored once.
 */
import {
  ALERT_PAYLOAD_TYPE,
  dsse,
  isProtocolError,
  parseAlert,
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
import { completeDelivery, deviceSeen, insertResult } from './batched-writes.js'
import type { AgentState } from './frames.js'
import { settleDelivery } from './settle-delivery.js'

/** What to answer a report with; `seen` when the device's reported state was stored with the report. */
export type ReportOutcome =
  | { readonly ack: true; readonly commandId: string | null; readonly commandKey: string | null; readonly seen?: boolean }
  | { readonly ack: false; readonly code: GatewayErrorCode | ProtocolErrorCode; readonly message: string }

/** What the connection knows that saves the handler work. */
export interface ReportHints {
  /** Whether this connection sent command `key` to the device and awaits its answer (so the delivery exists). */
  readonly inFlight: (key: string) => boolean
}

/**
 * Checks and stores one report; never throws for bad input (only for
 * storage failures). A result is stored with the device's reported state
 * (last seen, root version, checkpoint size) in one group-commit item.
 *
 * @example
 * const outcome = await handleReport(ctx, device, frame, { inFlight: (key) => sent.has(key) })
 */
export async function handleReport(ctx: GatewayContext, device: AuthenticatedDevice, frame: ReportFrame, hints?: ReportHints): Promise<ReportOutcome> {
  const payloadType = frame.type === 'result' ? RESULT_PAYLOAD_TYPE : frame.type === 'alert' ? ALERT_PAYLOAD_TYPE : REJECTION_PAYLOAD_TYPE
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
  if (frame.type === 'alert') return storeDeviceAlert(ctx, device, payload, frame.envelope)
  let report: CommandResult | Rejection
  try {
    report = frame.type === 'result' ? parseCommandResult(payload) : parseRejection(payload)
  } catch (e) {
    return refuse(isProtocolError(e) ? e.code : 'SRV_GATEWAY_MALFORMED', `the ${frame.type} payload is not valid: ${messageOf(e)}`)
  }
  if (report.org !== device.org || report.deviceId !== device.id) {
    return refuseWithAlert(ctx, device, 'SRV_GATEWAY_REPORT_UNSOLICITED', report.commandId, `device ${device.id} signed a ${frame.type} naming another org or device`)
  }
  return report.type === 'palisade.result/v1'
    ? storeResult(ctx, device, report, frame.envelope, frame.state, hints)
    : storeRejection(ctx, device, report, frame.envelope)
}

async function storeResult(
  ctx: GatewayContext,
  device: AuthenticatedDevice,
  result: CommandResult,
  envelope: string,
  state: AgentState | null,
  hints: ReportHints | undefined,
): Promise<ReportOutcome> {
  const key = commandKey(device.org, result.commandId)
  // A delivery this connection sent exists (rows are never deleted): no need to look it up.
  const known = hints?.inFlight(key) === true
  const stored = await ctx.commits.run(async (trx, batch) => {
    if (!known && (await deliveryOf(trx, key, device.id)) === undefined) return false
    insertResult(batch, { command_id: key, device_id: device.id, envelope, exit_code: result.exitCode, status: result.status, received_at: Date.now() })
    completeDelivery(batch, key, device.id)
    if (state !== null) deviceSeen(batch, device.id, state)
    return true
  })
  if (!stored) {
    return refuseWithAlert(ctx, device, 'SRV_GATEWAY_REPORT_UNSOLICITED', result.commandId, `device ${device.id} sent a result for command ${result.commandId}, which was never delivered to it`)
  }
  ctx.metrics?.resultReceived()
  return { ack: true, commandId: result.commandId, commandKey: key, seen: state !== null }
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
  await ctx.commits.run(async (trx, batch) => {
    await raiseAlert(trx, {
      org: device.org,
      deviceId: device.id,
      code: rejection.code,
      message: rejection.message,
      commandId: rejection.commandId,
      details: { source: 'agent', at: rejection.at, envelope },
    })
    if (key !== null && delivery !== undefined && delivery !== 'completed') await settleDelivery(trx, batch, key, device.id, 'rejected')
  })
  ctx.logger.warn({ org: device.org, deviceId: device.id, commandId: rejection.commandId, code: rejection.code }, 'device rejected a delivery')
  ctx.metrics?.rejection(rejection.code)
  ctx.metrics?.alert(rejection.code)
  return { ack: true, commandId: rejection.commandId, commandKey: key }
}

async function storeDeviceAlert(ctx: GatewayContext, device: AuthenticatedDevice, payload: Uint8Array, envelope: string): Promise<ReportOutcome> {
  let alert
  try {
    alert = parseAlert(payload)
  } catch (e) {
    return refuse(isProtocolError(e) ? e.code : 'SRV_GATEWAY_MALFORMED', `the alert payload is not valid: ${messageOf(e)}`)
  }
  if (alert.org !== device.org || alert.deviceId !== device.id) {
    return refuseWithAlert(ctx, device, 'SRV_GATEWAY_REPORT_UNSOLICITED', null, `device ${device.id} signed an alert naming another org or device`)
  }
  // Not tied to a delivery, so budgeted like unmatched rejections.
  if (!ctx.alerts.take(device.id)) return refuse('SRV_GATEWAY_RATE_LIMITED', 'too many alerts from this device; try again later')
  await ctx.commits.run((trx) =>
    raiseAlert(trx, {
      org: device.org,
      deviceId: device.id,
      code: alert.code,
      message: alert.message,
      commandId: null,
      details: { source: 'agent', time: alert.time, ...alert.details, envelope },
    }),
  )
  ctx.logger.warn({ org: device.org, deviceId: device.id, code: alert.code }, 'device raised an alert')
  ctx.metrics?.alert(alert.code)
  return { ack: true, commandId: null, commandKey: null }
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
    ctx.metrics?.alert(code)
  }
  return refuse(code, message)
}

function refuse(code: GatewayErrorCode | ProtocolErrorCode, message: string): ReportOutcome {
  return { ack: false, code, message }
}

function messageOf(e: unknown): string {
  return isProtocolError(e) ? e.message.slice(0, 300) : 'unreadable'
}
