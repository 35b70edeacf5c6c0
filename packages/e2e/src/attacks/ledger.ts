/**
 * A transparency log as the breached server holds it: the leaves, and the
 * log key to sign checkpoints over any prefix of them. Forks are just other
 * ledgers that share a prefix. Who cosigns a checkpoint is the caller's
 * choice, because that is what each scenario is about: honest witnesses
 * cosign only the one append-only history, so a fork gets the attacker's
 * own "witnesses", or none, unless a scenario says witnesses colluded.
 */
import { checkpoint, cosignature, merkle, note, utf8 } from '@palisade/protocol'
import type { Key } from './keys.js'

/** How to sign a checkpoint note. */
export interface NoteOptions {
  /** Default: the whole ledger. */
  readonly size?: number
  readonly logKey: Key
  readonly witnesses: readonly Key[]
  /** Default: the ledger's origin. */
  readonly origin?: string
  /** Cosignature time, unix seconds. */
  readonly time: number
}

/** An append-only list of leaves with RFC 6962 proofs. */
export class Ledger {
  readonly origin: string
  readonly #leaves: Uint8Array[]

  constructor(origin: string, leaves: readonly Uint8Array[] = []) {
    this.origin = origin
    this.#leaves = [...leaves]
  }

  get size(): number {
    return this.#leaves.length
  }

  /** Appends the exact bytes of `entry` (an envelope's JSON text); returns its index. */
  append(entry: string): number {
    this.#leaves.push(utf8(entry))
    return this.#leaves.length - 1
  }

  /** A second history: the first `keep` leaves of this one, then `entries`. */
  fork(keep: number, ...entries: string[]): Ledger {
    const f = new Ledger(this.origin, this.#leaves.slice(0, keep))
    for (const e of entries) f.append(e)
    return f
  }

  rootHash(size = this.size): Uint8Array {
    return merkle.rootHash(this.#leaves.slice(0, size))
  }

  /** The checkpoint note over the first `size` leaves, signed and cosigned as asked. */
  async note(o: NoteOptions): Promise<string> {
    const size = o.size ?? this.size
    const body = checkpoint.format({ origin: o.origin ?? this.origin, size, rootHash: this.rootHash(size), extensions: [] })
    let signed = await note.sign(body, [await note.ed25519Signer(o.logKey.name, o.logKey.seed)])
    for (const w of o.witnesses) signed += await cosignature.cosign(body, { name: w.name, seed: w.seed }, o.time)
    return signed
  }

  inclusion(index: number, size = this.size): readonly Uint8Array[] {
    return merkle.inclusionProof(this.#leaves.slice(0, size), index)
  }

  /** Proof that the first `from` leaves are a prefix of the first `to`; empty when there is nothing to prove. */
  consistency(from: number, to = this.size): readonly Uint8Array[] {
    return from > 0 && from < to ? merkle.consistencyProof(this.#leaves.slice(0, to), from, to) : []
  }
}
