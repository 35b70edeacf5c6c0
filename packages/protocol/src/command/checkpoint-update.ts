/**
 * A checkpoint pushed to a device on its own, outside any delivery (the
 * gateway's `checkpoint` frame, docs/WIRE.md), so that a device keeps up
 * with the log, and knows how fresh its view is, even when no command
 * comes its way. Every field is attacker-controlled until
 * verifyCheckpointUpdate has checked it.
 *
 * verifyCheckpointUpdate applies the checkpoint rules of verifyCommand
 * exactly (accept-checkpoint.ts: log signature, origin, witness quorum,
 * root line, consistency with the last checkpoint the device saw, no
 * rollback) after following any root updates that come with it (G3), and
 * returns the next trust state: the checkpoint seen, and the newest
 * cosigned-at time. A checkpoint of the same size and root hash with newer
 * cosignatures is accepted (an idle log re-cosigned: that is how a device
 * learns the log is still alive); the same size with another root hash is a
 * fork (PROTO_LOG_INCONSISTENT). A frozen root does not stop updates:
 * freshness matters most then. An expired root does (PROTO_ROOT_EXPIRED):
 * its keys vouch for nothing any more.
 *
 * Pure and synchronous; never throws.
 */
import { fromBase64, toBase64 } from '../bytes.js'
import type { Checkpoint } from '../checkpoint/checkpoint.js'
import type { CryptoProvider } from '../crypto/provider.js'
import { ProtocolError, fail, type ProtocolErrorCode } from '../errors.js'
import { expectArray, expectObject, expectString } from '../json/expect.js'
import { requireUnexpired, verifyRootUpdate, type SignedRoot } from '../root/verify.js'
import { acceptCheckpoint } from './accept-checkpoint.js'
import type { TrustState } from './trust-state.js'

/** A checkpoint on its own, with what a device needs to check it. */
export interface CheckpointUpdate {
  /** The cosigned checkpoint note. */
  readonly note: string
  /** From the device's last checkpoint to this one; empty when it has none or the size is unchanged. */
  readonly consistencyProof: readonly Uint8Array[]
  /** Root versions newer than the device's, oldest first. */
  readonly rootUpdates: readonly string[]
}

export type CheckpointUpdateResult =
  | {
      readonly ok: true
      readonly checkpoint: Checkpoint
      readonly nextState: TrustState
    }
  | {
      readonly ok: false
      readonly code: ProtocolErrorCode
      readonly message: string
      readonly details?: Readonly<Record<string, unknown>>
    }

const MAX_PROOF = 64

/**
 * Parses the JSON form (the gateway frame minus its `type`):
 * `{ note, consistency: [base64…], rootUpdates?: [root envelope JSON…] }`.
 * Unknown fields are refused.
 *
 * @example
 * const update = parseCheckpointUpdate({ note, consistency: [], rootUpdates: [] })
 */
export function parseCheckpointUpdate(v: unknown): CheckpointUpdate {
  const o = expectObject(v, 'checkpoint', ['note', 'consistency', 'rootUpdates'])
  const proof = expectArray(o.consistency, 'checkpoint.consistency', 0, MAX_PROOF).map((h, i) => {
    const b = fromBase64(expectString(h, `checkpoint.consistency[${i}]`, undefined, 64), `checkpoint.consistency[${i}]`)
    if (b.length !== 32) fail('PROTO_MALFORMED', `checkpoint.consistency[${i}] must be a 32-byte hash`)
    return b
  })
  return Object.freeze({
    note: expectString(o.note, 'checkpoint.note', undefined, 64 * 1024),
    consistencyProof: Object.freeze(proof),
    rootUpdates: Object.freeze(
      expectArray(o.rootUpdates ?? [], 'checkpoint.rootUpdates', 0, 64).map((r, i) =>
        expectString(r, `checkpoint.rootUpdates[${i}]`, undefined, 128 * 1024),
      ),
    ),
  })
}

/**
 * The JSON form of a checkpoint update (rootUpdates omitted when empty).
 *
 * @example
 * JSON.stringify({ type: 'checkpoint', ...formatCheckpointUpdate(update) })
 */
export function formatCheckpointUpdate(u: CheckpointUpdate): Record<string, unknown> {
  return {
    note: u.note,
    consistency: u.consistencyProof.map(toBase64),
    ...(u.rootUpdates.length === 0 ? {} : { rootUpdates: [...u.rootUpdates] }),
  }
}

/**
 * @example
 * const r = verifyCheckpointUpdate(state, parseCheckpointUpdate(frame), Math.floor(Date.now() / 1000))
 * if (r.ok) await persist(r.nextState); else report(r.code, r.message, r.details)
 */
export function verifyCheckpointUpdate(state: TrustState, update: CheckpointUpdate, now: number, crypto?: CryptoProvider): CheckpointUpdateResult {
  try {
    const roots: SignedRoot[] = [...state.roots]
    for (const r of update.rootUpdates) roots.push(verifyRootUpdate(roots[roots.length - 1]!, r, crypto))
    const signedRoot = roots[roots.length - 1]!
    requireUnexpired(signedRoot, now)
    const { checkpoint, seen, cosignedAt } = acceptCheckpoint(signedRoot, state.checkpoint, state.cosignedAt, update.note, update.consistencyProof, now, crypto)
    return Object.freeze({
      ok: true,
      checkpoint,
      nextState: Object.freeze({
        pinned: state.pinned,
        roots: Object.freeze(roots),
        checkpoint: seen,
        cosignedAt,
        executed: state.executed,
        lastIndex: state.lastIndex,
      }),
    })
  } catch (e) {
    const err = e instanceof ProtocolError ? e : new ProtocolError('PROTO_MALFORMED', 'the checkpoint could not be processed', { cause: e })
    return Object.freeze({
      ok: false,
      code: err.code,
      message: err.message,
      ...(err.details === undefined ? {} : { details: err.details }),
    })
  }
}
