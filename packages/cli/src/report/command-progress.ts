/**
 * Where a command stands, from the server's view of it: how many target
 * devices answered, how many succeeded, and what the others are doing. Pure;
 * `palisade command status` prints it and decides its exit status from it.
 *
 * This is bookkeeping the server relays, not a trust decision: a device's
 * result is what the server says the device reported.
 */
import type { CommandDetail, DeviceResult } from '../http/commands-api.js'

/** The counts of a command's progress. */
export interface CommandProgress {
  readonly status: string
  /** Target devices the server knows of (deliveries, and devices that reported). */
  readonly total: number
  readonly answered: number
  readonly succeeded: number
  readonly failed: number
  /** Devices without a result, by delivery status, e.g. { running: 1 }. */
  readonly waiting: Readonly<Record<string, number>>
  /** True when every target answered (or the server says the command is done). */
  readonly finished: boolean
  /** True when finished and every target succeeded. */
  readonly ok: boolean
}

/** The delivery status of a device that refused the command (server command-status.ts). */
export const REJECTED = 'rejected'

/** A result counts as a success when the script completed with exit code 0. */
export function succeeded(r: DeviceResult): boolean {
  return r.status === 'completed' && r.exitCode === 0
}

/** The latest result of each device, by device id. */
export function resultsByDevice(detail: CommandDetail): Map<string, DeviceResult> {
  return new Map(detail.results.map((r) => [r.deviceId, r]))
}

/**
 * Summarises a command.
 *
 * @example
 * progressOf(detail) // { status: 'logged', total: 3, answered: 2, succeeded: 2, failed: 0, waiting: { running: 1 }, … }
 */
export function progressOf(detail: CommandDetail): CommandProgress {
  const results = resultsByDevice(detail)
  const delivery = new Map(detail.deliveries.map((d) => [d.deviceId, d.status]))
  const devices = new Set([...delivery.keys(), ...results.keys()])
  const waiting: Record<string, number> = {}
  let answered = 0
  let ok = 0
  for (const id of devices) {
    const r = results.get(id)
    if (r !== undefined) {
      answered++
      if (succeeded(r)) ok++
    } else if (delivery.get(id) === REJECTED) {
      answered++ // the device refused it: an answer, and a failure
    } else {
      const status = delivery.get(id) ?? 'unknown'
      waiting[status] = (waiting[status] ?? 0) + 1
    }
  }
  const finished = detail.status === 'done' || (detail.status !== 'awaiting-signatures' && devices.size > 0 && answered >= devices.size)
  return Object.freeze({
    status: detail.status,
    total: devices.size,
    answered,
    succeeded: ok,
    failed: answered - ok,
    waiting: Object.freeze(waiting),
    finished,
    ok: finished && answered === devices.size && ok === answered,
  })
}

/**
 * The one-line progress shown while waiting.
 *
 * @example
 * progressLine(p) // 'logged · 2/3 done · 1 running'
 */
export function progressLine(p: CommandProgress): string {
  const parts = [p.status, `${p.answered}/${p.total} done`]
  if (p.failed > 0) parts.push(`${p.failed} failed`)
  for (const [status, n] of Object.entries(p.waiting).sort(([a], [b]) => (a < b ? -1 : 1))) parts.push(`${n} ${status}`)
  return parts.join(' · ')
}
