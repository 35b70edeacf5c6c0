/**
 * A transparency log as the breached server holds it: the leaves, and the
 * log key to sign checkpoints over any prefix of them. Forks are just other
 * ledgers that share a prefix. Who cosigns a checkpoint is the caller's
 * choice, because that is what each scenario is about: honest witnesses
 * cosign only the one append-only history, so a fork gets the attacker's
 * own "witnesses", or none, unless a scenario says witnesses colluded.
 */
import { checkpoint, cosignature, dsse, formatRootLine, fromUtf8, merkle, note, rootFingerprint, utf8 } from '@palisade/protocol'
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
  /**
   * The checkpoint's root line. Default: the one naming the newest root
   * appended with appendRoot within the first `size` leaves, as the server
   * writes it (and as witnesses told of that root demand); null: none.
   */
  readonly rootLine?: string | null
}

/** An append-only list of leaves with RFC 6962 proofs. */
export class Ledger {
  readonly origin: string
  readonly #leaves: Uint8Array[]
  /** Root entries: leaf index → root line. */
  readonly #roots: Map<number, string>

  constructor(origin: string, leaves: readonly Uint8Array[] = [], roots: ReadonlyMap<number, string> = new Map()) {
    this.origin = origin
    this.#leaves = [...leaves]
    this.#roots = new Map(roots)
  }

  get size(): number {
    return this.#leaves.length
  }

  /** Appends the exact bytes of `entry` (an envelope's JSON text); returns its index. */
  append(entry: string): number {
    this.#leaves.push(utf8(entry))
    return this.#leaves.length - 1
  }

  /** Appends a root envelope (as the server logs each root version); later checkpoints name it. */
  appendRoot(envelope: string): number {
    const payload = dsse.parseEnvelope(envelope).payload
    const version = (JSON.parse(fromUtf8(payload)) as { version: number }).version
    const index = this.append(envelope)
    this.#roots.set(index, formatRootLine({ version, fingerprint: rootFingerprint(payload) }))
    return index
  }

  /** The root line of the newest root among the first `size` leaves. */
  rootLine(size = this.size): string | undefined {
    let line: string | undefined
    let at = -1
    for (const [i, l] of this.#roots) if (i < size && i > at) [at, line] = [i, l]
    return line
  }

  /** A second history: the first `keep` leaves of this one, then `entries`. */
  fork(keep: number, ...entries: string[]): Ledger {
    const f = new Ledger(this.origin, this.#leaves.slice(0, keep), new Map([...this.#roots].filter(([i]) => i < keep)))
    for (const e of entries) f.append(e)
    return f
  }

  rootHash(size = this.size): Uint8Array {
    return merkle.rootHash(this.#leaves.slice(0, size))
  }

  /** The checkpoint note over the first `size` leaves, signed and cosigned as asked. */
  async note(o: NoteOptions): Promise<string> {
    const size = o.size ?? this.size
    const line = o.rootLine === undefined ? this.rootLine(size) : o.rootLine
    const body = checkpoint.format({ origin: o.origin ?? this.origin, size, rootHash: this.rootHash(size), extensions: line == null ? [] : [line] })
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
