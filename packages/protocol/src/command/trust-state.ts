/**
 * What a device remembers between deliveries, and nothing more: the root
 * chain from the anchor it pinned, the last cosigned checkpoint it accepted,
 * the commands it ran that could still be replayed (those whose validity
 * window has not closed), and the log index of the newest command it ran
 * (so none from earlier in the log runs after it). verifyCommand takes one
 * state and returns the next; the agent persists it before acting, so a
 * crash never runs a command twice.
 */
import { fromBase64, toBase64 } from '../bytes.js'
import type { CryptoProvider } from '../crypto/provider.js'
import { fail } from '../errors.js'
import { formatEnvelope } from '../dsse/envelope.js'
import { expectArray, expectInteger, expectObject, expectString } from '../json/expect.js'
import { FINGERPRINT_RE } from '../root/fingerprint.js'
import { verifyRootChain, type SignedRoot } from '../root/verify.js'
import { ID_RE } from './payload.js'

export interface SeenCheckpoint {
  readonly size: number
  readonly rootHash: Uint8Array
  /** The full cosigned note, kept as evidence should the log ever fork. */
  readonly note: string
}

export interface TrustState {
  /** Fingerprint of the anchor root pinned at enrollment. */
  readonly pinned: string
  /** Verified roots from the anchor, newest last. */
  readonly roots: readonly SignedRoot[]
  readonly checkpoint: SeenCheckpoint | null
  /**
   * The newest "cosigned at" time (unix seconds, checkpoint/cosigned-at.ts)
   * of any checkpoint this device accepted; null when unknown (none yet, or
   * a state written before this field existed). Staleness is measured from it.
   */
  readonly cosignedAt: number | null
  /** Command id → its notAfter (unix seconds), for replay protection. */
  readonly executed: Readonly<Record<string, number>>
  /**
   * The highest log leaf index of a command this device accepted; null when
   * none yet (or a state written before this field existed). A delivery at
   * or below it is refused (PROTO_OUT_OF_ORDER): commands run in log order.
   */
  readonly lastIndex: number | null
}

export const MAX_EXECUTED = 100_000

/** The root in force. */
export function currentRoot(state: TrustState): SignedRoot {
  return state.roots[state.roots.length - 1]!
}

/**
 * The state of a freshly enrolled device: its root chain verified from the
 * pinned fingerprint, no checkpoint yet, nothing executed.
 *
 * @example
 * const state = initialTrustState(fp, [v1Json, v2Json], nowSeconds)
 */
export function initialTrustState(
  pinned: string,
  rootEnvelopes: readonly (string | Uint8Array)[],
  now: number,
  crypto?: CryptoProvider,
): TrustState {
  const roots = verifyRootChain({ pinned }, rootEnvelopes, now, crypto)
  return Object.freeze({ pinned, roots, checkpoint: null, cosignedAt: null, executed: Object.freeze({}), lastIndex: null })
}

/**
 * The JSON form an agent writes to disk. Still `version: 1` although
 * `cosignedAt` and `lastIndex` came later: both are additive, and
 * decodeTrustState reads their absence as null, so states on disk from
 * before them still load (and an older agent would refuse the new fields
 * by name rather than misread them). `lastIndex` is written only once a
 * command ran, so an agent downgraded before then still loads its state.
 */
export function encodeTrustState(s: TrustState): Record<string, unknown> {
  return {
    version: 1,
    pinned: s.pinned,
    roots: s.roots.map((r) => formatEnvelope(r.envelope)),
    checkpoint: s.checkpoint && { size: s.checkpoint.size, rootHash: toBase64(s.checkpoint.rootHash), note: s.checkpoint.note },
    cosignedAt: s.cosignedAt,
    executed: s.executed,
    ...(s.lastIndex === null ? {} : { lastIndex: s.lastIndex }),
  }
}

/**
 * Reads a state written by encodeTrustState. The root chain is verified
 * again from the pinned fingerprint (expiry aside: an expired root must
 * still load so the device can report it and follow a rotation).
 */
export function decodeTrustState(v: unknown, crypto?: CryptoProvider): TrustState {
  const o = expectObject(v, 'state', ['version', 'pinned', 'roots', 'checkpoint', 'cosignedAt', 'executed', 'lastIndex'])
  if (o.version !== 1) fail('PROTO_MALFORMED', 'state.version must be 1')
  const pinned = expectString(o.pinned, 'state.pinned', FINGERPRINT_RE)
  const envs = expectArray(o.roots, 'state.roots', 1, 1024).map((e, i) => expectString(e, `state.roots[${i}]`))
  const roots = verifyRootChain({ pinned }, envs, 0, crypto)
  let checkpoint: SeenCheckpoint | null = null
  if (o.checkpoint !== null) {
    const c = expectObject(o.checkpoint, 'state.checkpoint', ['size', 'rootHash', 'note'])
    const rootHash = fromBase64(expectString(c.rootHash, 'state.checkpoint.rootHash'), 'state.checkpoint.rootHash')
    if (rootHash.length !== 32) fail('PROTO_MALFORMED', 'state.checkpoint.rootHash must be 32 bytes')
    checkpoint = Object.freeze({
      size: expectInteger(c.size, 'state.checkpoint.size', 0, Number.MAX_SAFE_INTEGER),
      rootHash,
      note: expectString(c.note, 'state.checkpoint.note'),
    })
  }
  // Absent in states written before freshness was tracked: unknown.
  const cosignedAt = o.cosignedAt === undefined || o.cosignedAt === null ? null : expectInteger(o.cosignedAt, 'state.cosignedAt', 0, 253402300799)
  const ex = o.executed
  if (typeof ex !== 'object' || ex === null || Array.isArray(ex)) fail('PROTO_MALFORMED', 'state.executed must be an object')
  const entries = Object.entries(ex)
  if (entries.length > MAX_EXECUTED) fail('PROTO_TOO_LARGE', `state.executed has more than ${MAX_EXECUTED} entries`)
  const executed: Record<string, number> = {}
  for (const [id, t] of entries) {
    if (!ID_RE.test(id)) fail('PROTO_MALFORMED', 'state.executed has an invalid command id')
    executed[id] = expectInteger(t, `state.executed.${id}`, 0, 253402300799)
  }
  // Absent in states written before log order was enforced (and in states
  // where no command ran yet): unknown, until the next command sets it.
  const lastIndex = o.lastIndex === undefined || o.lastIndex === null ? null : expectInteger(o.lastIndex, 'state.lastIndex', 0, Number.MAX_SAFE_INTEGER)
  // A command ran only under a checkpoint that includes it. An index the
  // checkpoint cannot hold is a corrupted file, and loading it would make a
  // device refuse everything (too high) or trust an index it never checked.
  if (lastIndex !== null && (checkpoint === null || lastIndex >= checkpoint.size)) {
    fail('PROTO_MALFORMED', checkpoint === null ? 'state.lastIndex must be null when state.checkpoint is null' : `state.lastIndex must be below state.checkpoint.size (${checkpoint.size})`)
  }
  return Object.freeze({ pinned, roots, checkpoint, cosignedAt, executed: Object.freeze(executed), lastIndex })
}
