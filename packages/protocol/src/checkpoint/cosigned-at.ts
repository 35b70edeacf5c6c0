/**
 * When a checkpoint was cosigned, as far as a device can tell: the
 * timestamps witnesses put in their cosignature/v1 lines
 * (c2sp.org/tlog-cosignature), combined so that fewer than `quorum`
 * witnesses cannot move the answer. A device uses it to notice a server
 * that withholds new checkpoints (a hidden freeze, or a fork it keeps the
 * device on): see command/checkpoint-freshness.ts.
 *
 * Rule: take each distinct witness's newest timestamp; the checkpoint's
 * "cosigned at" time is the quorum-th newest of those. To make a checkpoint
 * look fresher than it is, an attacker must get `quorum` witnesses to sign
 * a late time; any `quorum - 1` of them lying (or with clocks ahead) cannot
 * move it past what an honest quorum member said. With a quorum of 0 the
 * newest timestamp counts (nothing vouches for it then, as nothing vouches
 * for the checkpoint itself).
 *
 * A reader with a clock uses cosignedAtAsOf, which first drops times later
 * than its clock allows (per witness, before the count) and caps the answer
 * at its clock, so that no witness, nor any number of them below the
 * quorum, can push freshness past an honest quorum member's time or past
 * the reader's own clock.
 *
 * Pure; trusts only that the times come from cosignatures that verified.
 */
import { equalBytes } from '../bytes.js'
import type { Verifier } from '../note/key.js'

/**
 * The quorum-th newest of the per-witness newest timestamps (POSIX
 * seconds), or null when fewer timestamps than that are given.
 *
 * @example
 * quorumCosignedAt([1000, 2000, 1500], 2) // 1500
 * quorumCosignedAt([1000], 2)             // null
 */
export function quorumCosignedAt(newestPerWitness: readonly number[], quorum: number): number | null {
  const k = Math.max(1, quorum)
  if (newestPerWitness.length < k) return null
  const sorted = [...newestPerWitness].sort((a, b) => b - a)
  return sorted[k - 1]!
}

/** A verified witness cosignature's identity and time, as open-cosigned.ts reports it. */
export interface TimedCosignature {
  readonly name: string
  readonly keyHash: number
  /** POSIX seconds the witness put in its cosignature. */
  readonly time: number
}

/**
 * The cosigned-at time of a checkpoint as a reader with clock `now` (POSIX
 * seconds) may believe it: each cosignature is matched to the trusted
 * witness key that verified it (by name and key hash, which openNote keeps
 * unique), times later than `now + skewSeconds` are ignored per witness
 * BEFORE the quorum count, witnesses are counted once per distinct public
 * key, and the quorum-th newest time is capped at `now`. Null when fewer
 * than `quorum` witnesses gave a believable time.
 *
 * Why the order matters: a witness with a far-future time (a lying or
 * broken clock) must not count towards the quorum at all, else a quorum of
 * one would let it switch a staleness alarm off; and capping at `now` means
 * a time that is only ahead within the skew cannot be carried into the
 * future either (a device remembers the result).
 *
 * @example
 * cosignedAtAsOf(opened.cosignatures, policy.witnesses, 2, now, CLOCK_SKEW_SECONDS)
 */
export function cosignedAtAsOf(
  cosignatures: readonly TimedCosignature[],
  witnesses: readonly Verifier[],
  quorum: number,
  now: number,
  skewSeconds: number,
): number | null {
  const keys: Uint8Array[] = []
  const newest: number[] = []
  for (const c of cosignatures) {
    if (!(c.time <= now + skewSeconds)) continue
    const w = witnesses.find((v) => v.name === c.name && v.keyHash === c.keyHash)
    if (w === undefined) continue
    const at = keys.findIndex((k) => equalBytes(k, w.publicKey))
    if (at < 0) {
      keys.push(w.publicKey)
      newest.push(c.time)
    } else if (c.time > newest[at]!) {
      newest[at] = c.time
    }
  }
  const at = quorumCosignedAt(newest, quorum)
  return at === null ? null : Math.min(at, now)
}

/**
 * A remembered cosigned-at time no later than `now`: a value in the future
 * (stored by an older version that did not cap it, or before the clock was
 * set right) would keep a staleness alarm quiet until that time.
 *
 * @example
 * clampCosignedAt(4_000_000_000, 1_790_000_000) // 1790000000
 * clampCosignedAt(null, 1_790_000_000)          // null
 */
export function clampCosignedAt(cosignedAt: number | null, now: number): number | null {
  return cosignedAt === null ? null : Math.min(cosignedAt, now)
}
