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
 * No file means the pinned v1 (logs.json). Guarantees (origin-state-store.ts):
 * `put` resolves only once the state is durable and the cache changes only
 * after that; a malformed file is refused when read
 * (WIT_DATA_INVALID), never treated as "v1".
 *
 * Trusts: the data directory. The caller stores only roots it verified
 * from the pin (Cosigner.addRoot), under the per-origin lock.
 */
import { FINGERPRINT_RE, note } from '@palisade/protocol'
import { rootStatePath, type DataPaths } from './data-dir.js'
import { OriginStateStore } from './origin-state-store.js'

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

/** Reads and caches the per-log root state files (none: the pinned v1 holds); writes them atomically. */
export class RootStore extends OriginStateStore<RootState> {
  constructor(paths: DataPaths) {
    super({
      pathOf: (origin) => rootStatePath(paths, origin),
      maxBytes: MAX_BYTES,
      encode: (state) => ({
        rootVersion: state.rootVersion,
        fingerprint: state.fingerprint,
        verifiedAt: state.verifiedAt,
        ...(state.logKey === undefined ? {} : { logKey: state.logKey }),
      }),
      decode: decodeRootState,
      snapshot: (state) => Object.freeze({ ...state }),
    })
  }
}

/** A root state file's fields; a `logKey` must be a verifier key named `origin`. */
function decodeRootState(d: Record<string, unknown>, origin: string, invalid: (why: string) => never): RootState {
  const { rootVersion, fingerprint, verifiedAt, logKey } = d
  if (typeof rootVersion !== 'number' || !Number.isSafeInteger(rootVersion) || rootVersion < 1) return invalid('invalid rootVersion')
  if (typeof fingerprint !== 'string' || !FINGERPRINT_RE.test(fingerprint)) return invalid('invalid fingerprint')
  if (typeof verifiedAt !== 'number' || !Number.isSafeInteger(verifiedAt)) return invalid('invalid verifiedAt')
  if (logKey !== undefined && !isLogKeyOf(logKey, origin)) return invalid('invalid logKey')
  return Object.freeze({ origin, rootVersion, fingerprint, verifiedAt, ...(logKey === undefined ? {} : { logKey: logKey as string }) })
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
