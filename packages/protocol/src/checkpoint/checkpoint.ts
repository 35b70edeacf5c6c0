/**
 * Transparency-log checkpoints (c2sp.org/tlog-checkpoint): the body of a
 * signed note that names a log, a tree size and a root hash.
 *
 * Guarantees: `parse` accepts exactly one spelling of each checkpoint (no
 * leading zeros, canonical base64), and `format(parse(t)) === t` for every
 * text it accepts, so a checkpoint has one byte string to sign and compare.
 *
 * Trusts: nothing. `parse` checks syntax only; a checkpoint's fields mean
 * nothing until the note around it is verified (see openCosignedCheckpoint).
 */
import { fromBase64, isWellFormedString, toBase64 } from '../bytes.js'
import { fail } from '../errors.js'

/** A parsed checkpoint body. */
export interface Checkpoint {
  /** The log's identity, e.g. 'example.com/log42'. Non-empty. */
  readonly origin: string
  /** Number of leaves; a safe integer (the spec allows up to 2^64-1). */
  readonly size: number
  /** RFC 6962 Merkle tree hash at `size`: 32 bytes. */
  readonly rootHash: Uint8Array
  /** Opaque, non-empty lines after the hash; usually none. */
  readonly extensions: readonly string[]
}

const SIZE = /^(0|[1-9][0-9]*)$/
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f]/

/**
 * Parses a checkpoint body (the note text, final newline included).
 * Failures are PROTO_MALFORMED, except a size above 2^53-1, which is
 * PROTO_TOO_LARGE (valid per the spec, but not a JavaScript safe integer).
 *
 * @example
 * const cp = parse('go.sum database tree\n6476701\nmb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk=\n')
 * cp.size // 6476701
 */
export function parse(text: string): Checkpoint {
  // attacker-controlled until the enclosing note is verified: every field
  if (!text.endsWith('\n') || !isWellFormedString(text)) fail('PROTO_MALFORMED', 'checkpoint must be UTF-8 text ending in a newline')
  const lines = text.slice(0, -1).split('\n')
  if (lines.length < 3) fail('PROTO_MALFORMED', 'checkpoint has fewer than three lines')
  for (const l of lines) {
    // tlog-checkpoint §"Note text": every line is non-empty; signed-note
    // forbids control characters, so a body with them was never signed.
    if (l === '' || CONTROL.test(l)) fail('PROTO_MALFORMED', 'checkpoint has an empty line or a control character')
  }
  const [origin, sizeText, hashText, ...extensions] = lines as [string, string, string, ...string[]]
  if (!SIZE.test(sizeText)) fail('PROTO_MALFORMED', 'checkpoint size is not a decimal without leading zeros')
  const size = Number(sizeText)
  if (!Number.isSafeInteger(size)) fail('PROTO_TOO_LARGE', 'checkpoint size exceeds 2^53-1')
  let rootHash: Uint8Array
  try {
    rootHash = fromBase64(hashText)
  } catch {
    return fail('PROTO_MALFORMED', 'checkpoint root hash is not canonical base64')
  }
  if (rootHash.length !== 32) fail('PROTO_MALFORMED', 'checkpoint root hash is not 32 bytes')
  return Object.freeze({ origin, size, rootHash, extensions: Object.freeze(extensions) })
}

/**
 * Formats a checkpoint body, the text a log signs:
 *
 *     <origin>\n
 *     <size in decimal, no leading zeros>\n
 *     <base64 (RFC 4648 §4, padded) of the 32-byte root hash>\n
 *     <extension line>\n      (zero or more)
 *
 * Forward compatibility: readers MUST accept and ignore extension lines
 * they do not understand (tlog-checkpoint §"Note text" item 4), and writers
 * SHOULD emit none, since monitors cannot audit them and ML-DSA cosignatures
 * do not cover them. New meaning goes into new extension lines, never into a
 * change of the first three; a reader that needs an extension checks for it.
 * Palisade org logs carry exactly one: the root line (root/root-line.ts),
 * which devices and root-pinning witnesses require.
 *
 * @example
 * format({ origin: 'example.com/log', size: 10, rootHash: new Uint8Array(32), extensions: [] })
 * // 'example.com/log\n10\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n'
 */
export function format(cp: Checkpoint): string {
  const lineOk = (l: string) => typeof l === 'string' && l !== '' && isWellFormedString(l) && !CONTROL.test(l)
  if (!lineOk(cp.origin)) fail('PROTO_MALFORMED', 'checkpoint origin must be a non-empty line')
  if (!Number.isSafeInteger(cp.size) || cp.size < 0) fail('PROTO_MALFORMED', 'checkpoint size must be a non-negative safe integer')
  if (!(cp.rootHash instanceof Uint8Array) || cp.rootHash.length !== 32) fail('PROTO_MALFORMED', 'checkpoint root hash must be 32 bytes')
  if (!cp.extensions.every(lineOk)) fail('PROTO_MALFORMED', 'checkpoint extension lines must be non-empty lines')
  let out = `${cp.origin}\n${cp.size}\n${toBase64(cp.rootHash)}\n`
  for (const e of cp.extensions) out += `${e}\n`
  return out
}
