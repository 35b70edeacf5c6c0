/**
 * The latest cosigned checkpoint of each log, one file per log
 * (checkpoints/<SHA-256(origin) hex>.json), written atomically:
 *
 *     { "version": 1, "origin": "palisade/acme", "size": 9, "rootHash": "<base64>",
 *       "note": "<checkpoint text>\n\n— <log signature>\n— <our cosignature>\n", "cosignedAt": <POSIX seconds> }
 *
 * Guarantees (origin-state-store.ts): `put` resolves only once the new
 * state is durable and the cache changes only after that. A file whose note does not match its size, root and origin is refused when read
 * (WIT_DATA_INVALID) rather than trusted: a witness that forgot its state
 * would cosign anything at its next request.
 *
 * Trusts: the data directory. Not the request: the caller stores only
 * checkpoints it judged and cosigned, under the per-origin lock.
 */
import { checkpoint, fromBase64, note, toBase64 } from '@palisade/protocol'
import { checkpointPath, type DataPaths } from './data-dir.js'
import { OriginStateStore } from './origin-state-store.js'

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
export class CheckpointStore extends OriginStateStore<CheckpointState> {
  constructor(paths: DataPaths) {
    super({
      pathOf: (origin) => checkpointPath(paths, origin),
      maxBytes: MAX_BYTES,
      encode: (state) => ({
        size: state.size,
        rootHash: toBase64(state.rootHash),
        note: state.note,
        cosignedAt: state.cosignedAt,
      }),
      decode: decodeCheckpointState,
      snapshot: (state) => Object.freeze({ ...state, rootHash: state.rootHash.slice() }),
    })
  }
}

/** A checkpoint state file's fields, refused unless its note matches its size, root and origin. */
function decodeCheckpointState(d: Record<string, unknown>, origin: string, invalid: (why: string) => never): CheckpointState {
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
