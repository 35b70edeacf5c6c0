/**
 * The newest org root a witness verified for each log registered with a
 * pinned root (`palisade witness add-log --root-fingerprint`), one file per
 * log (checkpoints/<SHA-256(origin) hex>.root.json), written atomically:
 *
 *     { "version": 1, "origin": "palisade/acme", "rootVersion": 2, "fingerprint": "<64 hex>", "verifiedAt": <POSIX seconds>,
 *       "logKey": "palisade/acme+1a2b3c4d+AX…" }
 *
 * `logKey` is the log verifier key that root names: checkpoints of a log
 * with a pinned root are verified with the key of the newest root the
 * witness verified, so a threshold-signed rotation of the log key (`palisade
 * incident rotate-credentials`) moves the witness to the new key, and the
 * old key (perhaps stolen with the server) signs nothing it will cosign. A
 * file without it (written before this field) means the key of logs.json.
 *
 * No file means the pinned v1 (logs.json). Guarantees: `put` resolves only
 * once the state is durable (write, fsync, rename, fsync dir), and the
 * cache changes only after that; a malformed file is refused when read
 * (WIT_DATA_INVALID), never treated as "v1".
 *
 * Trusts: the data directory. The caller stores only roots it verified
 * from the pin (Cosigner.addRoot), under the per-origin lock.
 */
import { FINGERPRINT_RE, note } from '@palisade/protocol'
import { WitnessError } from '../errors.js'
import { readJsonFile, writeFileAtomic } from './atomic-file.js'
import { rootStatePath, type DataPaths } from './data-dir.js'

/** The newest verified root of one log. */
export interface RootState {
  readonly origin: string
  readonly rootVersion: number
  readonly fingerprint: string
  /** POSIX seconds. */
  readonly verifiedAt: number
  /** The log verifier key the root names (undefined in files written before it was recorded). */
  readonly logKey?: string
}

const MAX_BYTES = 16 * 1024

export class RootStore {
  readonly #paths: DataPaths
  readonly #cache = new Map<string, RootState | undefined>()

  constructor(paths: DataPaths) {
    this.#paths = paths
  }

  /** The newest root verified for `origin` through /add-root, or undefined (then the pinned v1 holds). */
  async get(origin: string): Promise<RootState | undefined> {
    if (this.#cache.has(origin)) return this.#cache.get(origin)
    const state = await this.#read(origin)
    if (!this.#cache.has(origin)) this.#cache.set(origin, state)
    return this.#cache.get(origin)
  }

  /** Persists `state` durably, then caches it. */
  async put(state: RootState): Promise<void> {
    const doc = {
      version: 1,
      origin: state.origin,
      rootVersion: state.rootVersion,
      fingerprint: state.fingerprint,
      verifiedAt: state.verifiedAt,
      ...(state.logKey === undefined ? {} : { logKey: state.logKey }),
    }
    await writeFileAtomic(rootStatePath(this.#paths, state.origin), JSON.stringify(doc, null, 2) + '\n')
    this.#cache.set(state.origin, Object.freeze({ ...state }))
  }

  async #read(origin: string): Promise<RootState | undefined> {
    const path = rootStatePath(this.#paths, origin)
    const doc = await readJsonFile(path, MAX_BYTES)
    if (doc === undefined) return undefined
    const invalid = (why: string): never => {
      throw new WitnessError('WIT_DATA_INVALID', `${path}: ${why}`, { details: { path, origin } })
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return invalid('not a JSON object')
    const d = doc as Record<string, unknown>
    if (d['version'] !== 1) invalid('unknown version')
    if (d['origin'] !== origin) invalid('names another origin')
    const { rootVersion, fingerprint, verifiedAt, logKey } = d
    if (typeof rootVersion !== 'number' || !Number.isSafeInteger(rootVersion) || rootVersion < 1) return invalid('invalid rootVersion')
    if (typeof fingerprint !== 'string' || !FINGERPRINT_RE.test(fingerprint)) return invalid('invalid fingerprint')
    if (typeof verifiedAt !== 'number' || !Number.isSafeInteger(verifiedAt)) return invalid('invalid verifiedAt')
    if (logKey !== undefined && !isLogKeyOf(logKey, origin)) return invalid('invalid logKey')
    return Object.freeze({ origin, rootVersion, fingerprint, verifiedAt, ...(logKey === undefined ? {} : { logKey: logKey as string }) })
  }
}

/** True when `key` is a note verifier key named `origin` (a log key of that log). */
function isLogKeyOf(key: unknown, origin: string): boolean {
  if (typeof key !== 'string') return false
  try {
    return note.verifierFromString(key).name === origin
  } catch {
    return false
  }
}
