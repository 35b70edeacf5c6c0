/**
 * The simulator's state directory (`--state-dir`): one file per simulated
 * device, so a rerun reconnects the same devices instead of enrolling new
 * ones, whatever the number of worker processes.
 *
 *     <dir>/sim.json            { version: 1, fingerprint }   the pin every device shares
 *     <dir>/agents/<index>.json { version: 1, deviceId, org, seed, trust }
 *
 * `trust` is exactly what the real agent writes (encodeTrustState) and is
 * read back the same way (decodeTrustState: the root chain re-verified from
 * the pin). `seed` is the device's private key: the directory is 0700 and
 * every file 0600, written atomically (temporary file, rename).
 *
 * Unlike the real agent, a simulated device saves its trust state lazily
 * (after enrollment, then every few seconds and at exit), not before each
 * result: it runs nothing, so the crash-safety that ordering buys a real
 * device ("never run twice") has nothing to protect here, and one write per
 * device per command would make the simulator's disk the benchmark.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { encodeTrustState, fromBase64, ID_RE, isProtocolError, ORG_ID_RE, toBase64, type TrustState } from '@palisade/protocol'
import { deviceKeyFromSeed, seedOf, type DeviceKey } from './device-key.js'
import { SimError } from './errors.js'
import type { SharedTrust } from './shared-trust.js'

/** One saved device. */
export interface SavedDevice {
  readonly deviceId: string
  readonly org: string
  readonly key: DeviceKey
  readonly trust: TrustState
}

const systemCode = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | null)?.code

/**
 * Creates the directory (or checks it) for devices pinned to `fingerprint`.
 * Run once, before any worker starts.
 *
 * @example
 * await prepareStateDir('/tmp/sim-state', fingerprint)
 */
export async function prepareStateDir(dir: string, fingerprint: string | undefined): Promise<string> {
  await mkdir(join(dir, 'agents'), { recursive: true, mode: 0o700 })
  const metaPath = join(dir, 'sim.json')
  let saved: string | undefined
  try {
    const meta = JSON.parse(await readFile(metaPath, 'utf8')) as { version?: unknown; fingerprint?: unknown }
    if (meta.version !== 1 || typeof meta.fingerprint !== 'string' || !/^[0-9a-f]{64}$/.test(meta.fingerprint)) {
      throw new SimError('SIM_STATE_INVALID', `${metaPath} is not a simulator state file`)
    }
    saved = meta.fingerprint
  } catch (e) {
    if (e instanceof SimError) throw e
    if (systemCode(e) !== 'ENOENT') throw new SimError('SIM_STATE_INVALID', `cannot read ${metaPath}: ${(e as Error).message}`, { cause: e })
  }
  if (saved !== undefined) {
    if (fingerprint !== undefined && fingerprint !== saved) {
      throw new SimError('SIM_STATE_INVALID', `${dir} holds devices pinned to root ${saved}, not to the --fingerprint given (${fingerprint})`)
    }
    return saved
  }
  if (fingerprint === undefined) throw new SimError('SIM_ARG_INVALID', `${dir} holds no devices yet: --fingerprint is needed to enroll them`)
  await writeAtomic(metaPath, `${JSON.stringify({ version: 1, fingerprint })}\n`)
  return fingerprint
}

/** Reads and writes the devices of one state directory. */
export class StateStore {
  readonly #dir: string

  constructor(dir: string) {
    this.#dir = dir
  }

  #path(index: number): string {
    return join(this.#dir, 'agents', `${String(index).padStart(6, '0')}.json`)
  }

  /** Device `index`, or undefined if it was never enrolled. SIM_STATE_INVALID if it does not load or verify. */
  async load(index: number, pinned: string, shared: SharedTrust): Promise<SavedDevice | undefined> {
    const path = this.#path(index)
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (e) {
      if (systemCode(e) === 'ENOENT') return undefined
      throw new SimError('SIM_STATE_INVALID', `cannot read ${path}: ${(e as Error).message}`, { cause: e })
    }
    try {
      const o = JSON.parse(text) as Record<string, unknown>
      if (o['version'] !== 1 || typeof o['deviceId'] !== 'string' || !ID_RE.test(o['deviceId'])) throw new Error('no valid deviceId')
      if (typeof o['org'] !== 'string' || !ORG_ID_RE.test(o['org'])) throw new Error('no valid org')
      const key = deviceKeyFromSeed(fromBase64(String(o['seed']), 'seed'))
      const trust = shared.decode(o['trust'])
      if (trust.pinned !== pinned) throw new Error(`it pins ${trust.pinned}, the directory ${pinned}`)
      return Object.freeze({ deviceId: o['deviceId'], org: o['org'], key, trust })
    } catch (e) {
      const code = isProtocolError(e) ? ` (${e.code})` : ''
      throw new SimError('SIM_STATE_INVALID', `${path} does not load${code}: ${(e as Error).message}`, { cause: e })
    }
  }

  /** Saves device `index` atomically. */
  async save(index: number, d: SavedDevice): Promise<void> {
    const o = { version: 1, deviceId: d.deviceId, org: d.org, seed: toBase64(seedOf(d.key)), trust: encodeTrustState(d.trust) }
    await writeAtomic(this.#path(index), `${JSON.stringify(o)}\n`)
  }
}

let tmpCounter = 0

async function writeAtomic(path: string, text: string): Promise<void> {
  // Unique per write, not only per process: two writes of one file must not share a temporary file.
  const tmp = `${path}.${process.pid}.${++tmpCounter}.tmp`
  // No fsync: rename keeps a file whole; a power cut losing a simulator's
  // last save costs a re-enrollment, and 10,000 fsyncs would cost minutes.
  await writeFile(tmp, text, { mode: 0o600 })
  await rename(tmp, path)
}
