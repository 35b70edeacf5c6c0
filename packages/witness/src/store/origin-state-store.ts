/**
 * The shared mechanism of the witness's per-log state files (one JSON file
 * per origin, written atomically, cached in memory): the checkpoint store
 * and the root store differ only in their file name and document shape.
 *
 * Guarantees: `put` resolves only once the new state is durable (write,
 * fsync, rename, fsync dir), and the cache changes only after that; a crash
 * at any point leaves the old or the new state, never a mix. A malformed
 * file is refused when read (WIT_DATA_INVALID), never treated as absent.
 * Concurrent first reads of one origin share a single file read.
 *
 * Trusts: the data directory. Callers store only states they verified,
 * under the per-origin lock.
 */
import { WitnessError } from '../errors.js'
import { readJsonFile, writeFileAtomic } from './atomic-file.js'

/** How one kind of per-origin state maps to its file. */
export interface OriginStateCodec<S extends { readonly origin: string }> {
  /** The file holding the state of `origin`. */
  readonly pathOf: (origin: string) => string
  /** Largest file accepted when read. */
  readonly maxBytes: number
  /** The JSON document (without `version` and `origin`, which are added here). */
  readonly encode: (state: S) => Record<string, unknown>
  /** A frozen state from a document already checked for version and origin; calls `invalid` otherwise. */
  readonly decode: (doc: Record<string, unknown>, origin: string, invalid: (why: string) => never) => S
  /** A frozen copy of `state` for the cache, sharing nothing mutable with the caller. */
  readonly snapshot: (state: S) => S
}

/**
 * Reads and caches one kind of per-origin state file; writes it atomically.
 *
 * @example
 * class RootStore extends OriginStateStore<RootState> {
 *   constructor(paths: DataPaths) { super({ pathOf: (o) => rootStatePath(paths, o), maxBytes, encode, decode, snapshot }) }
 * }
 */
export class OriginStateStore<S extends { readonly origin: string }> {
  readonly #codec: OriginStateCodec<S>
  readonly #cache = new Map<string, S | undefined>()
  readonly #loading = new Map<string, Promise<S | undefined>>()

  constructor(codec: OriginStateCodec<S>) {
    this.#codec = codec
  }

  /**
   * The state stored for `origin`, or undefined if none.
   *
   * @example
   * const head = (await store.get(origin)) ?? emptyHead()
   */
  async get(origin: string): Promise<S | undefined> {
    if (this.#cache.has(origin)) return this.#cache.get(origin)
    let loading = this.#loading.get(origin)
    if (loading === undefined) {
      loading = this.#read(origin).finally(() => this.#loading.delete(origin))
      this.#loading.set(origin, loading)
    }
    const state = await loading
    // A read that started before a concurrent put (GET /logs while a
    // checkpoint is cosigned) must not overwrite the newer state: a stale
    // cache would judge the next request against an older state.
    if (!this.#cache.has(origin)) this.#cache.set(origin, state)
    return this.#cache.get(origin)
  }

  /**
   * Persists `state` durably, then caches a frozen copy of it.
   *
   * @example
   * await store.put(state)
   */
  async put(state: S): Promise<void> {
    const doc = { version: 1, origin: state.origin, ...this.#codec.encode(state) }
    await writeFileAtomic(this.#codec.pathOf(state.origin), JSON.stringify(doc, null, 2) + '\n')
    this.#cache.set(state.origin, this.#codec.snapshot(state))
  }

  async #read(origin: string): Promise<S | undefined> {
    const path = this.#codec.pathOf(origin)
    const doc = await readJsonFile(path, this.#codec.maxBytes)
    if (doc === undefined) return undefined
    const invalid = (why: string): never => {
      throw new WitnessError('WIT_DATA_INVALID', `${path}: ${why}`, { details: { path, origin } })
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return invalid('not a JSON object')
    const d = doc as Record<string, unknown>
    if (d['version'] !== 1) invalid('unknown version')
    if (d['origin'] !== origin) invalid('names another origin')
    return this.#codec.decode(d, origin, invalid)
  }
}
