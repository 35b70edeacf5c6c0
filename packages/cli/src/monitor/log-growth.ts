/**
 * Whether a verified checkpoint extends the last one the monitor verified,
 * and whether the entries the server served are the ones it commits to.
 * The monitor never trusts the server's entries: it hashes them onto its
 * own saved frontier of the tree and requires the checkpoint's root hash.
 * The server's consistency proof is checked too, which tells the two
 * lies apart:
 *
 * | proof | entries | meaning |
 * | --- | --- | --- |
 * | ok | ok | the log grew honestly |
 * | ok | wrong | the checkpoint extends ours but the entries were altered or withheld: MON_BAD_PROOF |
 * | wrong | ok | the entries prove the log extends ours; the proof was a lie: MON_BAD_PROOF (state advances) |
 * | wrong | wrong | the checkpoint does not extend the last one seen: MON_FORK |
 *
 * A smaller checkpoint (the log shrank) or one of the same size with
 * another root is MON_FORK. Pure.
 */
import { equalBytes, merkle, toBase64, type checkpoint } from '@palisade/protocol'
import type { Failure } from './served-checkpoint.js'

/** What the monitor verified last. */
export interface VerifiedHead {
  readonly size: number
  readonly rootHash: Uint8Array
  readonly frontier: merkle.Frontier
}

/** The outcome: the new frontier (when the log provably extends ours), and any anomaly. */
export type Growth =
  | { readonly ok: true; readonly frontier: merkle.Frontier; readonly warning?: Failure }
  | Failure

/**
 * Checks `cp` against `prev` with the server's consistency proof (from
 * prev.size to cp.size; ignored when prev.size is 0) and the entries
 * prev.size .. cp.size - 1.
 *
 * @example
 * const g = checkGrowth(head, cp, proof, entries)
 * if (g.ok) state.frontier = saveFrontier(g.frontier)
 */
export function checkGrowth(
  prev: VerifiedHead,
  cp: checkpoint.Checkpoint,
  proof: readonly Uint8Array[],
  entries: readonly { readonly index: number; readonly data: Uint8Array }[],
): Growth {
  if (cp.size < prev.size) {
    return { ok: false, code: 'MON_FORK', message: `the log shrank: the server's checkpoint has ${cp.size} entries, the monitor verified ${prev.size} before` }
  }
  if (cp.size === prev.size) {
    if (equalBytes(cp.rootHash, prev.rootHash)) return { ok: true, frontier: prev.frontier }
    return {
      ok: false,
      code: 'MON_FORK',
      message: `the checkpoint of size ${cp.size} has root ${toBase64(cp.rootHash)}, but the monitor verified ${toBase64(prev.rootHash)} at that size: two histories`,
    }
  }
  const wanted = cp.size - prev.size
  const indicesOk = entries.length === wanted && entries.every((e, i) => e.index === prev.size + i)
  const next = prev.frontier.clone()
  if (indicesOk) for (const e of entries) next.append(e.data)
  const entriesOk = indicesOk && equalBytes(next.root(), cp.rootHash)
  const proofOk = prev.size === 0 || merkle.verifyConsistency(prev.size, cp.size, proof, prev.rootHash, cp.rootHash)
  if (entriesOk && proofOk) return { ok: true, frontier: next }
  if (entriesOk) {
    return {
      ok: true,
      frontier: next,
      warning: { ok: false, code: 'MON_BAD_PROOF', message: `the server's consistency proof from ${prev.size} to ${cp.size} does not verify, though the entries do` },
    }
  }
  const entriesWhy = indicesOk
    ? `entries ${prev.size}..${cp.size - 1} do not hash to the checkpoint's root`
    : `the server served ${entries.length} entries (indices ${entries[0]?.index ?? '-'}..${entries.at(-1)?.index ?? '-'}) for ${prev.size}..${cp.size - 1}`
  if (proofOk) return { ok: false, code: 'MON_BAD_PROOF', message: `${entriesWhy}: the entries were altered or withheld` }
  return {
    ok: false,
    code: 'MON_FORK',
    message: `the checkpoint of size ${cp.size} does not extend the one of size ${prev.size} the monitor verified (no valid consistency proof, and ${entriesWhy})`,
  }
}
