/**
 * The latest cosigned checkpoint of each log, one file per log
 * (checkpoints/<SHA-256(origin) hex>.json), written atomically:
 *
 *     { "version": 1, "origin": "palisade/acme", "size": 9, "rootHash": "<base64>",
 *       "note": "<checkpoint text>\n\n— <log signature>\n— <our cosignature>\n", "cosignedAt": <POSIX seconds> }
 *
 * Guarantees: `put` resolves only once the new state is durable (write,
 * fsync, rename, fsync dir), and the cache changes only after that; a
 * crash at any point leaves the old or the new state, never a mix. A file
 * whose note does not match its size, root and origin is refused when read
 * (WIT_DATA_INVALID) rather than trusted: a witness that forgot its state
 * would cosign anything at its next request.
 *
 * Trusts: the data directory. Not the request: the caller stores only
 * checkpoints it judged and cosigned, under the per-origin lock.
 */
import { checkpoint, fromBase64, note, toBase64 } from '@palisade/protocol'
import { WitnessError } from '../errors.js'
import { readJsonFile, writeFileAtomic } from './atomic-file.js'
import { checkpointPath, type DataPaths } from './data-dir.js'

/** The latest cosigned checkpoint of one log. */
export interface CheckpointState {
  readonly origin: string
  readonly size: number
  readonly rootHash: Uint8Array
  /** The cosigned checkpoint note: text, the log's signature(s), our cosignature. */
  readonly note: string
  /** POSIX seconds of our cosignature. */
  readonly cosignedAt: number
}

const MAX_BYTES = 256 * 1024

/** Reads and caches the per-log state files; writes them atomically. */
export class CheckpointStore {
  readonly #paths: DataPaths
  readonly #cache = new Map<string, CheckpointState | undefined>()
  readonly #loading = new Map<string, Promise<CheckpointState | undefined>>()

  constructor(paths: DataPaths) {
    this.#paths = paths
  }

  /**
   * The latest cosigned checkpoint for `origin`, or undefined if none.
   *
   * @example
   * const head = (await store.get(origin)) ?? emptyHead()
   */
  async get(origin: string): Promise<CheckpointState | undefined> {
    if (this.#cache.has(origin)) return this.#cache.get(origin)
    let loading = this.#loading.get(origin)
    if (loading === undefined) {
      loading = this.#read(origin).finally(() => this.#loading.delete(origin))
      this.#loading.set(origin, loading)
    }
    const state = await loading
    // A read that started before a concurrent put (GET /logs while a
    // checkpoint is cosigned) must not overwrite the newer state: a stale
    // cache would judge the next request against an older checkpoint.
    if (!this.#cache.has(origin)) this.#cache.set(origin, state)
    return this.#cache.get(origin)
  }

  /**
   * Persists `state` durably, then caches it.
   *
   * @example
   * await store.put({ origin, size, rootHash, note, cosignedAt })
   */
  async put(state: CheckpointState): Promise<void> {
    const doc = {
      version: 1,
      origin: state.origin,
      size: state.size,
      rootHash: toBase64(state.rootHash),
      note: state.note,
      cosignedAt: state.cosignedAt,
    }
    await writeFileAtomic(checkpointPath(this.#paths, state.origin), JSON.stringify(doc, null, 2) + '\n')
    this.#cache.set(state.origin, Object.freeze({ ...state, rootHash: state.rootHash.slice() }))
  }

  async #read(origin: string): Promise<CheckpointState | undefined> {
    const path = checkpointPath(this.#paths, origin)
    const doc = await readJsonFile(path, MAX_BYTES)
    if (doc === undefined) return undefined
    const invalid = (why: string): never => {
      throw new WitnessError('WIT_DATA_INVALID', `${path}: ${why}`, { details: { path, origin } })
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return invalid('not a JSON object')
    const d = doc as Record<string, unknown>
    if (d['version'] !== 1) invalid('unknown version')
    if (d['origin'] !== origin) invalid('names another origin')
    const size = d['size']
    const cosignedAt = d['cosignedAt']
    const noteText = d['note']
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return invalid('invalid size')
    if (typeof cosignedAt !== 'number' || !Number.isSafeInteger(cosignedAt)) return invalid('invalid cosignedAt')
    if (typeof noteText !== 'string') return invalid('invalid note')
    let rootHash: Uint8Array
    let cp: checkpoint.Checkpoint
    try {
      rootHash = fromBase64(typeof d['rootHash'] === 'string' ? d['rootHash'] : '')
      cp = checkpoint.parse(note.parse(noteText).text)
    } catch {
      return invalid('invalid root hash or note')
    }
    if (cp.origin !== origin || cp.size !== size || toBase64(cp.rootHash) !== toBase64(rootHash)) {
      invalid('the note does not match the origin, size and root hash')
    }
    return Object.freeze({ origin, size, rootHash, note: noteText, cosignedAt })
  }
}
