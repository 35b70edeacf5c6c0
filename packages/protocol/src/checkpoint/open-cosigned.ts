/**
 * The check a device runs on a checkpoint before trusting any proof against
 * it (DESIGN.md G2): signed by the org's log key, for the org's log origin,
 * and cosigned by at least `quorum` distinct witnesses the org root names.
 * A server that shows two histories needs a quorum of witnesses to sign
 * both; this function is where that requirement bites.
 *
 * Guarantees: a result is returned only when all of the above hold, and no
 * signature by a trusted key (log or witness) in the note failed to verify.
 * Witnesses are counted by distinct public key, because a cosignature/v1
 * signature does not commit to the witness name: one key listed under two
 * names, or one line copied under another name, counts once.
 *
 * Trusts: the policy (from the verified org root). It reports, but does
 * not judge, cosignature timestamps (`cosignedAt`, cosigned-at.ts), and it
 * does not check consistency with earlier checkpoints: the caller has the
 * clock and the last checkpoint it saw.
 */
import { equalBytes } from '../bytes.js'
import { fail, isProtocolError, ProtocolError } from '../errors.js'
import { SIG_TYPE_COSIGNATURE_V1, cosignatureTime } from '../cosignature/cosignature.js'
import { openNote, type OpenedNote } from '../note/open.js'
import type { Verifier } from '../note/key.js'
import { parse, type Checkpoint } from './checkpoint.js'
import { quorumCosignedAt } from './cosigned-at.js'

/** What the org root says about its log and witnesses. */
export interface CosignedCheckpointPolicy {
  /** The origin line the checkpoint must carry. */
  readonly origin: string
  /** The log's note key (Ed25519, type 0x01). */
  readonly logVerifier: Verifier
  /** Trusted witnesses; cosignature/v1 (type 0x04) verifiers only. */
  readonly witnesses: readonly Verifier[]
  /** How many distinct witnesses must cosign; a non-negative integer. */
  readonly quorum: number
}

/** A witness cosignature that verified. */
export interface VerifiedCosignature {
  readonly name: string
  readonly keyHash: number
  /** POSIX seconds the witness put in its cosignature. */
  readonly time: number
}

/** A checkpoint that passed every check. */
export interface CosignedCheckpoint {
  readonly checkpoint: Checkpoint
  /** The checkpoint body as signed. */
  readonly text: string
  /** Every trusted witness cosignature that verified, in note order. */
  readonly cosignatures: readonly VerifiedCosignature[]
  /**
   * POSIX seconds: the quorum-th newest of the distinct witnesses' newest
   * cosignature times (cosigned-at.ts), or null when no witness cosigned.
   */
  readonly cosignedAt: number | null
}

/**
 * Opens a cosigned checkpoint note under an org's policy. Errors:
 * PROTO_MALFORMED / PROTO_TOO_LARGE for a note or body that does not parse,
 * PROTO_LOG_SIG when the log key did not sign it (or its signature fails),
 * PROTO_LOG_ORIGIN for another log's checkpoint, PROTO_SIG_INVALID when a
 * trusted witness's line fails to verify, PROTO_WITNESS_QUORUM when fewer
 * than `quorum` distinct witnesses cosigned.
 *
 * @example
 * const { checkpoint, cosignatures } = openCosignedCheckpoint(noteText, {
 *   origin: 'example.com/log',
 *   logVerifier: verifierFromString(root.log.key),
 *   witnesses: root.witnesses.map((k) => witnessVerifierFromString(k)),
 *   quorum: root.witnessQuorum,
 * })
 */
export function openCosignedCheckpoint(note: string | Uint8Array, policy: CosignedCheckpointPolicy): CosignedCheckpoint {
  const { origin, logVerifier, witnesses, quorum } = policy
  if (!Number.isSafeInteger(quorum) || quorum < 0) fail('PROTO_MALFORMED', 'witness quorum must be a non-negative integer')
  // A witness must be a cosignature/v1 key: otherwise the log key, or any
  // plain note key, listed as a witness could stand in for one.
  if (witnesses.some((w) => w.type !== SIG_TYPE_COSIGNATURE_V1)) fail('PROTO_KEY_INVALID', 'witness keys must be cosignature/v1 (type 0x04)')
  if (logVerifier.type === SIG_TYPE_COSIGNATURE_V1) fail('PROTO_KEY_INVALID', 'the log key must not be a cosignature key')

  const isLog = (s: { name: string; keyHash: number }) => s.name === logVerifier.name && s.keyHash === logVerifier.keyHash
  let opened: OpenedNote
  let by: readonly Verifier[]
  try {
    ;({ opened, by } = openNote(note, [logVerifier, ...witnesses]))
  } catch (e) {
    if (isProtocolError(e, 'PROTO_NOTE_UNVERIFIED')) {
      throw new ProtocolError('PROTO_LOG_SIG', 'checkpoint is not signed by the log key', { cause: e, details: { ...e.details } })
    }
    if (isProtocolError(e, 'PROTO_SIG_INVALID') && e.details !== undefined && isLog(e.details as { name: string; keyHash: number })) {
      throw new ProtocolError('PROTO_LOG_SIG', 'the log signature on the checkpoint does not verify', { cause: e })
    }
    throw e
  }
  // openNote refuses two verifiers with one name and key ID, so the log's
  // line is the one its verifier accepted.
  if (!by.includes(logVerifier)) {
    throw new ProtocolError('PROTO_LOG_SIG', 'checkpoint is not signed by the log key', { details: { note: opened } })
  }

  const checkpoint = parse(opened.text)
  if (checkpoint.origin !== origin) {
    throw new ProtocolError('PROTO_LOG_ORIGIN', 'checkpoint names another log', { details: { expected: origin, got: checkpoint.origin } })
  }

  const cosignatures: VerifiedCosignature[] = []
  // Distinct witness public keys, compared byte by byte: a witness list is
  // short, and this saves hex-encoding every key per checkpoint.
  const keys: Uint8Array[] = []
  const newest: number[] = []
  for (let i = 0; i < opened.signatures.length; i++) {
    const s = opened.signatures[i]!
    const w = by[i]!
    if (w === logVerifier) continue
    const time = cosignatureTime(s.signature)
    if (time === undefined) continue // only a foreign Verifier could have accepted it
    cosignatures.push(Object.freeze({ name: s.name, keyHash: s.keyHash, time }))
    const at = keys.findIndex((k) => equalBytes(k, w.publicKey))
    if (at < 0) {
      keys.push(w.publicKey)
      newest.push(time)
    } else if (time > newest[at]!) {
      newest[at] = time
    }
  }
  if (keys.length < quorum) {
    throw new ProtocolError('PROTO_WITNESS_QUORUM', `${keys.length} of the required ${quorum} witnesses cosigned the checkpoint`, {
      details: { have: keys.length, need: quorum, cosignatures },
    })
  }
  return Object.freeze({
    checkpoint,
    text: opened.text,
    cosignatures: Object.freeze(cosignatures),
    cosignedAt: quorumCosignedAt(newest, quorum),
  })
}
