/**
 * Gathering witness cosignatures for one signed checkpoint
 * (c2sp.org/tlog-witness, c2sp.org/tlog-cosignature).
 *
 * For each witness, in parallel: offer the checkpoint with a consistency
 * proof from the size the witness is known to hold; on 409 retry once from
 * the size it reports; check every returned line against that witness's
 * cosignature/v1 key. A witness counts only for a line that verifies, and
 * witnesses are counted by distinct public key (a cosignature does not
 * commit to the name), exactly as devices count them
 * (protocol `checkpoint.openCosignedCheckpoint`).
 *
 * Trusts: the witness keys (from the org root) and the proof source;
 * nothing the witnesses answer. Never throws for a witness failure: every
 * outcome is returned for the caller to record.
 */
import { cosignature, note, toHex } from '@palisade/protocol'
import type { WitnessClient } from '../witness-client/witness-client.js'

/** A witness to ask. */
export interface WitnessTarget {
  /** cosignature/v1 verifier key, as listed in the root. */
  readonly key: string
  /** Base URL, '' when none is known. */
  readonly url: string
  /** The largest size it is known to have cosigned, or null. */
  readonly lastSize: number | null
}

/** What one witness came to. */
export type WitnessOutcome =
  | { readonly key: string; readonly name: string; readonly url: string; readonly ok: true; readonly line: string }
  | { readonly key: string; readonly name: string; readonly url: string; readonly ok: false; readonly reason: string }

/** Input of {@link collectCosignatures}. */
export interface CosignRequest {
  /** The checkpoint body (note text). */
  readonly body: string
  /** The body signed by the log key. */
  readonly signedNote: string
  readonly size: number
  /** The consistency proof from `oldSize` (0 < oldSize < size) to `size`. */
  consistencyProof(oldSize: number): Promise<readonly Uint8Array[]>
  readonly witnesses: readonly WitnessTarget[]
  readonly client: WitnessClient
}

/** Result of {@link collectCosignatures}. */
export interface CosignResult {
  /** The signed note with every verified cosignature line appended, in witness order. */
  readonly note: string
  /** Distinct witness public keys that cosigned. */
  readonly cosigners: number
  readonly outcomes: readonly WitnessOutcome[]
}

/** Most signature lines read from one answer. */
const MAX_LINES = 16

/**
 * Asks every witness to cosign and collects the verified lines.
 *
 * @example
 * const { note, cosigners, outcomes } = await collectCosignatures({ body, signedNote, size, consistencyProof, witnesses, client })
 * if (cosigners < quorum) throw new WitnessQuorumError(...)
 */
export async function collectCosignatures(request: CosignRequest): Promise<CosignResult> {
  const outcomes = await Promise.all(request.witnesses.map((w) => askWitness(request, w)))
  const keys = new Set<string>()
  let lines = ''
  for (const [i, o] of outcomes.entries()) {
    if (!o.ok) continue
    const pub = toHex(cosignature.witnessVerifierFromString(request.witnesses[i]!.key).publicKey)
    if (keys.has(pub)) continue
    keys.add(pub)
    lines += o.line
  }
  return Object.freeze({ note: request.signedNote + lines, cosigners: keys.size, outcomes: Object.freeze(outcomes) })
}

async function askWitness(request: CosignRequest, w: WitnessTarget): Promise<WitnessOutcome> {
  let verifier: note.Verifier
  try {
    verifier = cosignature.witnessVerifierFromString(w.key)
  } catch {
    return { key: w.key, name: w.key.split('+', 1)[0] ?? '?', url: w.url, ok: false, reason: 'the witness key is not a cosignature/v1 key' }
  }
  const fail = (reason: string): WitnessOutcome => ({ key: w.key, name: verifier.name, url: w.url, ok: false, reason })
  if (w.url === '') return fail('no URL is known for this witness')
  const { size } = request
  let old = w.lastSize ?? 0
  for (let attempt = 0; ; attempt++) {
    if (old > size) return fail(`the witness holds size ${old}, larger than this checkpoint (${size})`)
    const proof = old > 0 && old < size ? await request.consistencyProof(old) : []
    const outcome = await request.client.addCheckpoint(w.url, { oldSize: old, proof, note: request.signedNote })
    if (outcome.kind === 'failed') return fail(outcome.reason)
    if (outcome.kind === 'conflict') {
      // tlog-witness: 409 carries the size the witness holds; offer the proof from there, once.
      if (attempt > 0 || outcome.size === old) return fail(`the witness answered 409 again (it holds size ${outcome.size})`)
      old = outcome.size
      continue
    }
    const line = verifiedLine(request.body, outcome.lines, verifier)
    return line === undefined ? fail('the witness returned no valid cosignature by its key') : { key: w.key, name: verifier.name, url: w.url, ok: true, line }
  }
}

/** The first returned line that is a valid cosignature by `verifier`, newline included. */
function verifiedLine(body: string, answer: string, verifier: note.Verifier): string | undefined {
  // attacker-controlled: the whole answer, until verifyCosignature accepts a line
  const lines = answer.split('\n').filter((l) => l !== '').slice(0, MAX_LINES)
  for (const l of lines) {
    try {
      cosignature.verifyCosignature(body, `${l}\n`, verifier)
      return `${l}\n`
    } catch {
      // another key's line, or a bad one: keep looking
    }
  }
  return undefined
}
