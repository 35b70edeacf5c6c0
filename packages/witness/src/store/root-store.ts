/**
 * The newest org root a witness verified for each log registered with a
 * pinned root (`palisade witness add-log --root-fingerprint`), one file per
 * log (checkpoints/<SHA-256(origin) hex>.root.json), written atomically:
 *
 *     { "version": 1, "origin": "palisade/acme", "rootVersion": 2, "fingerprint": "<64 hex>", "verifiedAt": <POSIX seconds> }
 *
 * No file means the pinned v1 (logs.json). Guarantees: `put` resolves only
 * once the state is durable (write, fsync, rename, fsync dir), and the
 * cache changes only after that; a malformed file is refused when read
 * (WIT_DATA_INVALID), never treated as "v1".
 *
 * Trusts: the data directory. The caller stores only roots it verified
 * from the pin (Cosigner.addRoot), under the per-origin lock.
 */
import { FINGERPRINT_RE } from '@palisade/protocol'
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
    const doc = { version: 1, origin: state.origin, rootVersion: state.rootVersion, fingerprint: state.fingerprint, verifiedAt: state.verifiedAt }
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
    const { rootVersion, fingerprint, verifiedAt } = d
    if (typeof rootVersion !== 'number' || !Number.isSafeInteger(rootVersion) || rootVersion < 1) return invalid('invalid rootVersion')
    if (typeof fingerprint !== 'string' || !FINGERPRINT_RE.test(fingerprint)) return invalid('invalid fingerprint')
    if (typeof verifiedAt !== 'number' || !Number.isSafeInteger(verifiedAt)) return invalid('invalid verifiedAt')
    return Object.freeze({ origin, rootVersion, fingerprint, verifiedAt })
  }
}
