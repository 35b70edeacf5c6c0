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
 * Pure; trusts only that the times come from cosignatures that verified.
 */

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
