/**
 * The checkpoint half of the log audit (G2): every published checkpoint
 * must be signed by the log key of a root in force when it was made and
 * cosigned by that root's witness quorum; checkpoints must never shrink;
 * and each one's root hash must be the Merkle root of the first `size`
 * downloaded entries. The last condition makes the checkpoints consistent
 * with each other and with the entries: a server that rewrote, reordered,
 * withheld or forked history cannot pass it unless witnesses cosigned the
 * other history.
 */
import { checkpoint, cosignature, equalBytes, merkle, note, toBase64, type SignedRoot } from '@palisade/protocol'
import type { AuditEntry, RootInForce } from './audit-entries.js'
import { cause, reason } from './audit-entries.js'
import type { FindingList } from './findings.js'

/** A checkpoint note and the size the server listed it under (undefined for the "latest" one). */
export interface AuditCheckpoint {
  readonly size: number | undefined
  readonly note: string
}

/** What the checkpoints established. */
export interface CheckpointWalk {
  /** Checkpoints that verified. */
  readonly verified: number
  /** The largest verified size, or null. */
  readonly latestSize: number | null
  /** Per witness name, how many verified checkpoints it cosigned. */
  readonly witnesses: ReadonlyMap<string, number>
}

type Policy = checkpoint.CosignedCheckpointPolicy

/**
 * Verifies `checkpoints`, in the order given, against the entries and the
 * verified roots (`roots` must not be empty).
 */
export function auditCheckpoints(
  checkpoints: readonly AuditCheckpoint[],
  entries: readonly AuditEntry[],
  roots: readonly RootInForce[],
  findings: FindingList,
): CheckpointWalk {
  const policies = new Map<SignedRoot, Policy>()
  const policyOf = (r: SignedRoot): Policy => {
    let p = policies.get(r)
    if (p === undefined) {
      p = {
        origin: r.root.log.origin,
        logVerifier: note.verifierFromString(r.root.log.key),
        witnesses: r.root.witnesses.keys.map((k) => cosignature.witnessVerifierFromString(k)),
        quorum: r.root.witnesses.quorum,
      }
      policies.set(r, p)
    }
    return p
  }

  // 1. signatures, in order
  const opened: { what: string; cp: checkpoint.Checkpoint }[] = []
  const witnesses = new Map<string, number>()
  let prev: checkpoint.Checkpoint | undefined
  checkpoints.forEach((listed, k) => {
    const what = listed.size === undefined ? 'the latest checkpoint' : `checkpoint ${k + 1} (listed size ${listed.size})`
    const r = openUnderRoots(listed.note, roots, prev?.size ?? 0, policyOf)
    if (!r.ok) {
      findings.add({ code: 'AUDIT_CHECKPOINT_SIGNATURE', message: `${what} does not verify: ${reason(r.error)}`, ...sizeOf(listed.size), ...cause(r.error) })
      return
    }
    const cp = r.value.checkpoint
    for (const c of r.value.cosignatures) witnesses.set(c.name, (witnesses.get(c.name) ?? 0) + 1)
    if (listed.size !== undefined && listed.size !== cp.size) {
      findings.add({ code: 'AUDIT_CHECKPOINT_ORDER', message: `${what} is listed under size ${listed.size} but has size ${cp.size}`, size: cp.size })
    }
    if (prev !== undefined && cp.size < prev.size) {
      findings.add({ code: 'AUDIT_CHECKPOINT_ORDER', message: `${what} has size ${cp.size}, smaller than the one before it (${prev.size}): a log never shrinks`, size: cp.size })
    }
    opened.push({ what, cp })
    prev = cp
  })

  // 2. root hashes against the entries, in one pass over them
  const expected = prefixRoots(entries, new Set(opened.map((o) => o.cp.size)))
  let latestSize: number | null = null
  for (const { what, cp } of opened) {
    latestSize = Math.max(latestSize ?? 0, cp.size)
    const root = expected.get(cp.size)
    if (root === undefined) {
      findings.add({
        code: 'AUDIT_CHECKPOINT_BEYOND_LOG',
        message: `${what} covers ${cp.size} entries but the server served ${entries.length}: entries are withheld`,
        size: cp.size,
      })
    } else if (!equalBytes(root, cp.rootHash)) {
      findings.add({
        code: 'AUDIT_CHECKPOINT_INCONSISTENT',
        message: `${what} has root hash ${toBase64(cp.rootHash)} but the first ${cp.size} downloaded entries hash to ${toBase64(root)}: the log was rewritten, or another history was cosigned`,
        size: cp.size,
      })
    }
  }
  return { verified: opened.length, latestSize, witnesses }
}

/**
 * Opens a checkpoint under the roots that may have signed it: those in
 * force at some size in (after, size], newest first, where `size` is the
 * one the note claims (authenticated once a signature verifies) and a root
 * logged at entry i is in force from size i + 1 until its successor is
 * logged. The first failure is the one reported.
 */
function openUnderRoots(
  text: string,
  roots: readonly RootInForce[],
  after: number,
  policyOf: (r: SignedRoot) => Policy,
): { ok: true; value: checkpoint.CosignedCheckpoint } | { ok: false; error: unknown } {
  let claimed: number
  try {
    claimed = checkpoint.parse(note.parse(text).text).size
  } catch (e) {
    return { ok: false, error: e }
  }
  const candidates: SignedRoot[] = []
  for (let j = roots.length - 1; j >= 0; j--) {
    const from = roots[j]!.index + 1
    const until = j + 1 < roots.length ? roots[j + 1]!.index : Infinity
    if (from > claimed) continue
    if (until < after + 1) break
    candidates.push(roots[j]!.signed)
  }
  if (candidates.length === 0) candidates.push(roots[0]!.signed)
  let first: unknown
  for (const r of candidates) {
    try {
      return { ok: true, value: checkpoint.openCosignedCheckpoint(text, policyOf(r)) }
    } catch (e) {
      first ??= e
    }
  }
  return { ok: false, error: first }
}

/** The Merkle root of the first s entries, for each s in `sizes` that is at most entries.length. */
function prefixRoots(entries: readonly AuditEntry[], sizes: ReadonlySet<number>): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>()
  const tree = merkle.Frontier.empty()
  if (sizes.has(0)) out.set(0, tree.root())
  const last = Math.min(entries.length, Math.max(0, ...sizes))
  for (let i = 0; i < last; i++) {
    tree.append(entries[i]!.data)
    if (sizes.has(tree.size)) out.set(tree.size, tree.root())
  }
  return out
}

function sizeOf(size: number | undefined): { size?: number } {
  return size === undefined ? {} : { size }
}
