/**
 * Trust states of many simulated devices in one process, sharing what is
 * immutable: the verified root chain and the accepted checkpoints. Every
 * device still holds its own TrustState (its own checkpoint position and
 * its own `executed` replay set) and every state comes out of protocol
 * (initialTrustState, decodeTrustState, verifyCommand): this module only
 * swaps equal frozen values for one shared instance afterwards.
 *
 * Why sharing is sound: a SignedRoot is identified by its fingerprint
 * (SHA-256 of the exact payload) and was verified before it reached here;
 * a SeenCheckpoint is parsed from its note text, so equal notes give equal
 * values. Sharing the Root objects also makes protocol's per-root key
 * caches (verify.ts) hit for every device, as they would in one agent.
 *
 * Decoding thousands of saved states re-verifies the same root signatures
 * thousands of times; `decode` runs it through a provider that remembers
 * Ed25519 results by (key, signature, SHA-256 of the message): the same
 * answer, computed once.
 */
import {
  decodeTrustState,
  initialTrustState,
  nodeCrypto,
  toBase64,
  toHex,
  type CryptoProvider,
  type SeenCheckpoint,
  type SignedRoot,
  type TrustState,
} from '@palisade/protocol'

/** Distinct checkpoints kept for sharing; older ones stay with the devices that hold them. */
const MAX_CHECKPOINTS = 64
const MAX_MEMO = 4096

/**
 * @example
 * const shared = new SharedTrust()
 * let trust = shared.initial(fingerprint, roots, nowSeconds)
 * const v = verifyCommand(trust, delivery, { id }, nowSeconds)
 * if (v.ok) trust = shared.intern(v.nextState)
 */
export class SharedTrust {
  readonly #chains = new Map<string, readonly SignedRoot[]>()
  readonly #checkpoints = new Map<string, SeenCheckpoint>()
  readonly #memoCrypto: CryptoProvider

  constructor() {
    const memo = new Map<string, boolean>()
    const verify = (pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean => {
      const key = `${toBase64(pub)}.${toBase64(sig)}.${toHex(nodeCrypto.sha256(msg))}`
      let ok = memo.get(key)
      if (ok === undefined) {
        ok = nodeCrypto.verify(pub, msg, sig)
        if (memo.size >= MAX_MEMO) memo.delete(memo.keys().next().value as string)
        memo.set(key, ok)
      }
      return ok
    }
    this.#memoCrypto = Object.freeze({ ...nodeCrypto, name: 'node:crypto (memoised verify)', verify })
  }

  /** A freshly enrolled device's state, as the real agent makes it (initialTrustState). */
  initial(pinned: string, rootEnvelopes: readonly string[], now: number): TrustState {
    return this.intern(initialTrustState(pinned, rootEnvelopes, now, this.#memoCrypto))
  }

  /** A saved state (the JSON of encodeTrustState), re-verified from its pin like the real agent's. */
  decode(json: unknown): TrustState {
    return this.intern(decodeTrustState(json, this.#memoCrypto))
  }

  /** The same state with its root chain and checkpoint replaced by the shared instances. */
  intern(state: TrustState): TrustState {
    const chainKey = `${state.pinned}:${state.roots.map((r) => r.fingerprint).join(',')}`
    let roots = this.#chains.get(chainKey)
    if (roots === undefined) {
      roots = state.roots
      this.#chains.set(chainKey, roots)
    }
    let checkpoint = state.checkpoint
    if (checkpoint !== null) {
      const seen = this.#checkpoints.get(checkpoint.note)
      if (seen !== undefined) checkpoint = seen
      else {
        if (this.#checkpoints.size >= MAX_CHECKPOINTS) this.#checkpoints.delete(this.#checkpoints.keys().next().value as string)
        this.#checkpoints.set(checkpoint.note, checkpoint)
      }
    }
    if (roots === state.roots && checkpoint === state.checkpoint) return state
    return Object.freeze({ ...state, roots, checkpoint })
  }
}
