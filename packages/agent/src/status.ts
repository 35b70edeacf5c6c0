/**
 * What an operator asks of an agent's state directory: who the device is,
 * which root it follows, how far it has seen the log, and what is still
 * waiting to reach the server. Read-only: it changes nothing, and it
 * needs neither the device key nor the server.
 */
import { readdir, readFile } from 'node:fs/promises'
import { currentRoot, keyId, fromBase64 } from '@palisade/protocol'
import { systemErrorCode } from './errors.js'
import { Spool } from './report/spool.js'
import { readDeviceRecord, readTrustState } from './state/device-state.js'
import type { DeviceRecord } from './state/device-record.js'
import { stateLayout } from './state/layout.js'

/** The state of an enrolled agent, as `palisade agent status` prints it. */
export interface AgentStatus extends DeviceRecord {
  readonly stateDir: string
  readonly keyId: string
  readonly rootVersion: number
  /** Unix seconds. */
  readonly rootExpiresAt: number
  readonly rootFrozen: boolean
  /** Size of the last cosigned checkpoint this device accepted; 0 before the first command. */
  readonly checkpointSize: number
  /** Commands remembered as executed (those whose validity window is still open). */
  readonly executed: number
  /** Signed reports waiting for the server's ack. */
  readonly spooledResults: number
  readonly spooledRejections: number
  /** Commands accepted by a run that stopped before their result was spooled (reported at the next start). */
  readonly interrupted: number
  /** Lines in the local rejection log (the rotated file not counted). */
  readonly rejectionsLogged: number
}

/**
 * Reads the status; the trust state is verified again from the pin.
 * Errors: AGENT_NOT_ENROLLED, AGENT_STATE_INVALID, file errors.
 *
 * @example
 * const s = await agentStatus('/var/lib/palisade-agent')
 * console.log(s.deviceId, s.rootVersion, s.spooledResults)
 */
export async function agentStatus(stateDir: string): Promise<AgentStatus> {
  const layout = stateLayout(stateDir)
  const record = await readDeviceRecord(layout)
  const trust = await readTrustState(layout, record)
  const root = currentRoot(trust).root
  const spool = await Spool.list(layout.spoolDir).catch((e: unknown) => (systemErrorCode(e) === 'ENOENT' ? [] : Promise.reject(e)))
  const running = await readdir(layout.runningDir).catch((e: unknown) => (systemErrorCode(e) === 'ENOENT' ? [] : Promise.reject(e)))
  const log = await readFile(layout.rejectionLog, 'utf8').catch((e: unknown) => (systemErrorCode(e) === 'ENOENT' ? '' : Promise.reject(e)))
  return Object.freeze({
    ...record,
    stateDir: layout.dir,
    keyId: keyId(fromBase64(record.publicKey, 'publicKey')),
    rootVersion: root.version,
    rootExpiresAt: root.expiresAt,
    rootFrozen: root.frozen,
    checkpointSize: trust.checkpoint?.size ?? 0,
    executed: Object.keys(trust.executed).length,
    spooledResults: spool.filter((e) => e.kind === 'result').length,
    spooledRejections: spool.filter((e) => e.kind === 'rejection').length,
    interrupted: running.filter((n) => n.endsWith('.json') && !n.startsWith('.')).length,
    rejectionsLogged: log === '' ? 0 : log.split('\n').filter((l) => l !== '').length,
  })
}
