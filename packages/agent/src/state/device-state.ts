/**
 * Loading and saving an enrolled device's state (see layout.ts).
 *
 * Guarantees: `loadDevice` returns only a state whose trust chain verified
 * again from the pinned fingerprint (decodeTrustState), whose pin and org
 * agree with device.json, and whose key file is private (no group/other
 * bits, like ssh private keys) and matches the public key that was
 * registered. Anything else is AGENT_STATE_INVALID or AGENT_NOT_ENROLLED,
 * naming the file: the agent never runs on a state it cannot vouch for.
 *
 * Trusts: the local filesystem and the account the agent runs as.
 */
import { open, stat } from 'node:fs/promises'
import {
  currentRoot,
  decodeTrustState,
  encodeTrustState,
  equalBytes,
  fromBase64,
  isProtocolError,
  nodePublicKey,
  type TrustState,
} from '@palisade/protocol'
import { AgentError, isAgentError, systemErrorCode } from '../errors.js'
import { readJsonFile, writeFileAtomic } from './atomic-file.js'
import { parseDeviceRecord, type DeviceRecord } from './device-record.js'
import type { StateLayout } from './layout.js'

/** Everything the runtime needs about the device. */
export interface LoadedDevice {
  readonly layout: StateLayout
  readonly record: DeviceRecord
  /** The Ed25519 seed of the device key. Never logged, never sent. */
  readonly seed: Uint8Array
  readonly publicKey: Uint8Array
  readonly trust: TrustState
}

/** Root chains are small, but `executed` may hold up to 100,000 ids. */
const TRUST_STATE_MAX_BYTES = 32 * 1024 * 1024
const DEVICE_FILE_MAX_BYTES = 64 * 1024

/** Reads and validates device.json; AGENT_NOT_ENROLLED when it is missing. */
export async function readDeviceRecord(layout: StateLayout): Promise<DeviceRecord> {
  try {
    return await readJsonFile(layout.deviceFile, DEVICE_FILE_MAX_BYTES, (v) => parseDeviceRecord(v, layout.deviceFile))
  } catch (e) {
    if (isAgentError(e, 'AGENT_FILE_MISSING')) {
      throw new AgentError('AGENT_NOT_ENROLLED', `no enrolled device in ${layout.dir} (${layout.deviceFile} does not exist)`, {
        details: { path: layout.deviceFile },
      })
    }
    throw e
  }
}

/** Reads and verifies trust-state.json from its pin. */
export async function readTrustState(layout: StateLayout, record: DeviceRecord): Promise<TrustState> {
  const trust = await readJsonFile(layout.trustStateFile, TRUST_STATE_MAX_BYTES, (v) => {
    try {
      return decodeTrustState(v)
    } catch (e) {
      const code = isProtocolError(e) ? ` (${e.code})` : ''
      throw new AgentError('AGENT_STATE_INVALID', `${layout.trustStateFile} does not verify from its pin${code}: ${(e as Error).message}`, {
        cause: e,
        details: { path: layout.trustStateFile },
      })
    }
  })
  if (trust.pinned !== record.fingerprint) {
    throw new AgentError('AGENT_STATE_INVALID', `${layout.trustStateFile} pins ${trust.pinned}, but device.json pins ${record.fingerprint}`)
  }
  if (currentRoot(trust).root.org !== record.org) {
    throw new AgentError('AGENT_STATE_INVALID', `${layout.trustStateFile} belongs to org "${currentRoot(trust).root.org}", device.json to "${record.org}"`)
  }
  return trust
}

/**
 * Loads the whole enrolled state.
 *
 * @example
 * const device = await loadDevice(stateLayout('/var/lib/palisade-agent'))
 */
export async function loadDevice(layout: StateLayout): Promise<LoadedDevice> {
  const record = await readDeviceRecord(layout)
  const seed = await readSeed(layout.keyFile)
  const publicKey = nodePublicKey(seed)
  if (!equalBytes(publicKey, fromBase64(record.publicKey, 'publicKey'))) {
    throw new AgentError('AGENT_STATE_INVALID', `${layout.keyFile} does not hold the key registered in ${layout.deviceFile}`)
  }
  const trust = await readTrustState(layout, record)
  return Object.freeze({ layout, record, seed, publicKey, trust })
}

/** Persists the trust state atomically: after this resolves, a crash cannot lose it. */
export async function writeTrustState(layout: StateLayout, trust: TrustState): Promise<void> {
  await writeFileAtomic(layout.trustStateFile, `${JSON.stringify(encodeTrustState(trust))}\n`)
}

async function readSeed(path: string): Promise<Uint8Array> {
  let st
  try {
    st = await stat(path)
  } catch (e) {
    throw new AgentError(systemErrorCode(e) === 'ENOENT' ? 'AGENT_STATE_INVALID' : 'AGENT_FILE_READ_FAILED', `cannot read the device key ${path}: ${(e as Error).message}`, {
      cause: e,
      details: { path },
    })
  }
  if (!st.isFile() || st.size !== 32) throw new AgentError('AGENT_STATE_INVALID', `${path} is not a 32-byte device key`, { details: { path } })
  if ((st.mode & 0o077) !== 0) {
    throw new AgentError('AGENT_STATE_INVALID', `${path} is readable by other users (mode ${(st.mode & 0o777).toString(8)}); run chmod 600 on it`, {
      details: { path },
    })
  }
  const fh = await open(path, 'r')
  try {
    const buf = new Uint8Array(32)
    const { bytesRead } = await fh.read(buf, 0, 32, 0)
    if (bytesRead !== 32) throw new AgentError('AGENT_STATE_INVALID', `${path} is not a 32-byte device key`, { details: { path } })
    return buf
  } finally {
    await fh.close()
  }
}
