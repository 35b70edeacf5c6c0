/**
 * The witness's decision on one add-checkpoint request, as a pure function
 * of the request, the log's key and the latest checkpoint it cosigned for
 * that log. This is where a fork or a rollback is refused.
 *
 * Guarantees: `ok` only when the note carries a valid signature by the log
 * key, and the checkpoint is the stored one or provably extends it (an RFC
 * 9162 consistency proof from the stored size and root). The checks run in
 * the order c2sp.org/tlog-witness §add-checkpoint states them, so the
 * status a client sees is the one the spec names first:
 *
 *   403 no valid log signature        → WIT_LOG_SIG
 *   400 old size > checkpoint size    → WIT_OLD_SIZE_TOO_LARGE
 *   409 old size ≠ stored size        → WIT_OLD_SIZE_CONFLICT (body: stored size)
 *   422 proof does not verify         → WIT_PROOF_INVALID ("MUST be empty if
 *       the old size is zero"; a same-size request needs the empty proof too)
 *   409 same size, other root hash    → WIT_ROOT_MISMATCH
 *
 * (404 for an unknown origin is decided before: there is no key to judge with.)
 *
 * A log never cosigned counts as size 0 with the empty tree's root, so a
 * size-0 checkpoint must carry SHA-256("") like any other same-size request.
 *
 * Trusts: the log key (from logs.json) and the stored state (our own file).
 * The caller must hold the per-origin lock from judging to persisting, or
 * two requests could both be judged against the same stored state (the
 * rollback race the spec describes).
 */
import { checkpoint, equalBytes, isProtocolError, merkle, note } from '@palisade/protocol'
import type { RefusalCode } from '../errors.js'
import type { AddCheckpointRequest } from './add-checkpoint-request.js'

type Checkpoint = checkpoint.Checkpoint

/** The latest checkpoint cosigned for one log (or the empty tree). */
export interface StoredHead {
  readonly size: number
  readonly rootHash: Uint8Array
}

/** A request that passed every check. */
export interface Accepted {
  readonly ok: true
  readonly checkpoint: Checkpoint
  /** The checkpoint body as signed. */
  readonly text: string
  /** The log's verified signature lines (unknown-key lines are dropped). */
  readonly logSignatures: readonly note.NoteSignature[]
}

/** A refused request, with what the refusal record and the 409 body need. */
export interface Refused {
  readonly ok: false
  readonly code: RefusalCode
  /** The stored size the request was judged against. */
  readonly storedSize: number
  /** Present once the log signature verified: the checkpoint is then evidence. */
  readonly checkpoint?: Checkpoint
}

export type Judgement = Accepted | Refused

/**
 * Judges `req` for the log whose key is `logKey` against `stored`.
 *
 * @example
 * const j = judgeAddCheckpoint(req, note.verifierFromString(log.key), stored ?? emptyHead())
 * if (!j.ok && j.code === 'WIT_OLD_SIZE_CONFLICT') reply409(j.storedSize)
 */
export function judgeAddCheckpoint(req: AddCheckpointRequest, logKey: note.Verifier, stored: StoredHead): Judgement {
  const refuse = (code: RefusalCode, cp?: Checkpoint): Refused =>
    Object.freeze({ ok: false, code, storedSize: stored.size, ...(cp === undefined ? {} : { checkpoint: cp }) })

  // "MUST verify the checkpoint signature against the public key(s) it trusts
  // for the checkpoint origin, and it MUST ignore signatures from unknown keys."
  let opened: note.OpenedNote
  try {
    opened = note.open(req.note, [logKey])
  } catch (e) {
    if (isProtocolError(e, 'PROTO_NOTE_UNVERIFIED') || isProtocolError(e, 'PROTO_SIG_INVALID')) return refuse('WIT_LOG_SIG')
    if (isProtocolError(e)) return refuse('WIT_MALFORMED')
    throw e
  }
  let cp: Checkpoint
  try {
    cp = checkpoint.parse(opened.text)
  } catch (e) {
    // signed by the log, yet not a checkpoint we can read (or > 2^53 − 1 leaves)
    if (isProtocolError(e)) return refuse('WIT_MALFORMED')
    throw e
  }
  // The origin selected the key, and the key's name is the origin (logs.json).
  if (cp.origin !== logKey.name) return refuse('WIT_LOG_SIG')

  if (req.oldSize > cp.size) return refuse('WIT_OLD_SIZE_TOO_LARGE', cp)
  if (req.oldSize !== stored.size) return refuse('WIT_OLD_SIZE_CONFLICT', cp)

  if (req.oldSize === cp.size) {
    if (req.proof.length !== 0) return refuse('WIT_PROOF_INVALID', cp)
    if (!equalBytes(cp.rootHash, stored.rootHash)) return refuse('WIT_ROOT_MISMATCH', cp)
  } else if (req.oldSize === 0) {
    // Every tree extends the empty one: nothing to prove, and nothing may be sent.
    if (req.proof.length !== 0) return refuse('WIT_PROOF_INVALID', cp)
  } else if (!merkle.verifyConsistency(req.oldSize, cp.size, req.proof, stored.rootHash, cp.rootHash)) {
    return refuse('WIT_PROOF_INVALID', cp)
  }
  return Object.freeze({ ok: true, checkpoint: cp, text: opened.text, logSignatures: opened.signatures })
}

/**
 * The head of a log never cosigned: size 0, root SHA-256("") (RFC 9162 §2.1.1).
 *
 * @example
 * judgeAddCheckpoint(req, key, stored ?? emptyHead())
 */
export function emptyHead(): StoredHead {
  return Object.freeze({ size: 0, rootHash: merkle.emptyRoot() })
}
