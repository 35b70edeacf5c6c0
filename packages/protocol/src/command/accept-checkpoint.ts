/**
 * The checkpoint half of G2, shared by verifyCommand (a checkpoint inside a
 * delivery) and verifyCheckpointUpdate (a checkpoint pushed on its own), so
 * that both apply exactly the same rules:
 *
 *   - signed by the root's log key, for the root's origin, cosigned by a
 *     quorum of the root's witnesses (openCosignedCheckpoint);
 *   - exactly one root line (root-line.ts) naming no root newer than the
 *     device's (PROTO_ROOT_STALE: an update was withheld) and, at the same
 *     version, the same fingerprint; an older version means the device is ahead;
 *   - it extends the last checkpoint the device accepted: no smaller size
 *     (PROTO_LOG_ROLLBACK); at the same size the same root hash, at a larger
 *     one a consistency proof (else PROTO_LOG_INCONSISTENT, with both notes
 *     as evidence of a fork). A same-size checkpoint with the same hash is a
 *     re-cosigned one: accepted, and its cosignature times count.
 *
 * Cosigned-at (freshness): only cosignature times no later than
 * now + CLOCK_SKEW_SECONDS count, per witness, before the quorum count
 * (cosigned-at.ts cosignedAtAsOf); the result and the remembered time are
 * capped at `now`. So one witness with a far-future timestamp cannot
 * switch the staleness alarm off, not even until it is rotated out.
 *
 * Internal: throws ProtocolError; the exported checks turn that into a
 * rejection. Pure.
 */
import { equalBytes } from '../bytes.js'
import type { Checkpoint } from '../checkpoint/checkpoint.js'
import { clampCosignedAt, cosignedAtAsOf } from '../checkpoint/cosigned-at.js'
import { openCosignedCheckpoint } from '../checkpoint/open-cosigned.js'
import type { CryptoProvider } from '../crypto/provider.js'
import { fail } from '../errors.js'
import { verifyConsistency } from '../merkle/verify.js'
import { checkpointRootLine } from '../root/root-line.js'
import type { SignedRoot } from '../root/verify.js'
import { rootVerifiers } from './root-keys.js'
import type { SeenCheckpoint, TrustState } from './trust-state.js'
import { CLOCK_SKEW_SECONDS } from './verify.js'

/** A checkpoint that passed every rule, and what the device remembers of it. */
export interface AcceptedCheckpoint {
  readonly checkpoint: Checkpoint
  readonly seen: SeenCheckpoint
  /** The device's newest cosigned-at time after this one (never goes back, never past `now`). */
  readonly cosignedAt: number | null
}

/**
 * Checks `note` under `signedRoot` (the root in force, after any updates)
 * against the last checkpoint the device saw.
 *
 * @example
 * const { seen, cosignedAt } = acceptCheckpoint(root, state.checkpoint, state.cosignedAt, note, proof, now)
 */
export function acceptCheckpoint(
  signedRoot: SignedRoot,
  last: SeenCheckpoint | null,
  lastCosignedAt: number | null,
  note: string,
  consistencyProof: readonly Uint8Array[],
  now: number,
  crypto?: CryptoProvider,
): AcceptedCheckpoint {
  const root = signedRoot.root
  const verifiers = rootVerifiers(root, crypto)
  const opened = openCosignedCheckpoint(note, {
    origin: root.log.origin,
    logVerifier: verifiers.log,
    witnesses: verifiers.witnesses,
    quorum: root.witnesses.quorum,
  })
  const { checkpoint } = opened
  // ...naming the root in force: a newer version there means the server
  // withheld a root update from this device (an older one: the device is ahead).
  const logRoot = checkpointRootLine(checkpoint.extensions)
  if (logRoot.version > root.version) {
    fail('PROTO_ROOT_STALE', `the log names root v${logRoot.version}; this device has v${root.version}: a root update was withheld`, {
      logRoot: logRoot.version,
      logFingerprint: logRoot.fingerprint,
      deviceRoot: root.version,
      deviceFingerprint: signedRoot.fingerprint,
    })
  }
  if (logRoot.version === root.version && logRoot.fingerprint !== signedRoot.fingerprint) {
    fail('PROTO_ROOT_STALE', `the log names root v${logRoot.version} with fingerprint ${logRoot.fingerprint}; this device's v${root.version} is ${signedRoot.fingerprint}`, {
      logRoot: logRoot.version,
      logFingerprint: logRoot.fingerprint,
      deviceRoot: root.version,
      deviceFingerprint: signedRoot.fingerprint,
    })
  }
  // ...that extends the last one this device accepted.
  if (last !== null) {
    if (checkpoint.size < last.size) {
      fail('PROTO_LOG_ROLLBACK', `checkpoint size ${checkpoint.size} is older than the ${last.size} this device saw`, {
        seen: last.note,
        offered: note,
      })
    }
    const consistent =
      checkpoint.size === last.size
        ? equalBytes(checkpoint.rootHash, last.rootHash)
        : verifyConsistency(last.size, checkpoint.size, consistencyProof, last.rootHash, checkpoint.rootHash, crypto)
    if (!consistent) {
      // Two cosigned checkpoints that do not extend each other: keep both as evidence of a fork.
      fail('PROTO_LOG_INCONSISTENT', `checkpoint of size ${checkpoint.size} does not extend the one of size ${last.size} this device saw`, {
        seen: last.note,
        offered: note,
      })
    }
  }
  // opened.cosignedAt judges no clock; recount with this device's.
  const fresh = cosignedAtAsOf(opened.cosignatures, verifiers.witnesses, root.witnesses.quorum, now, CLOCK_SKEW_SECONDS)
  const before = clampCosignedAt(lastCosignedAt, now)
  const cosignedAt = fresh === null ? before : before === null ? fresh : Math.max(fresh, before)
  return Object.freeze({
    checkpoint,
    seen: Object.freeze({ size: checkpoint.size, rootHash: checkpoint.rootHash, note }),
    cosignedAt,
  })
}

/**
 * `state` with its remembered cosigned-at time capped at `now`: run it on a
 * trust state read from disk, since a time in the future (written by an
 * older version that did not cap it) would keep checkpointStaleness quiet
 * until then even if no new checkpoint ever arrives.
 *
 * @example
 * this.trust = clampTrustState(await readTrustState(layout, record), Math.floor(Date.now() / 1000))
 */
export function clampTrustState(state: TrustState, now: number): TrustState {
  const cosignedAt = clampCosignedAt(state.cosignedAt, now)
  return cosignedAt === state.cosignedAt ? state : Object.freeze({ ...state, cosignedAt })
}
