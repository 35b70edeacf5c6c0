/**
 * Reading signed notes (c2sp.org/signed-note), with the behaviour of Go's
 * golang.org/x/mod/sumdb/note `Open`:
 *
 *     <text, ending in "\n">
 *     <blank line>
 *     — <key name> base64(key ID ‖ signature)      (one or more lines)
 *
 * Guarantees: `open` returns a text only when at least one trusted key
 * verified it, and never returns a text alongside a failed signature by a
 * trusted key. Every malformed note gets the same answer, PROTO_MALFORMED
 * "malformed note" (like Go's errMalformedNote), so error messages do not
 * tell a prober which check it tripped; size and count limits are
 * PROTO_TOO_LARGE.
 *
 * Trusts: the verifiers passed in. Everything in the note is
 * attacker-controlled until `open` has verified it; `parse` verifies nothing,
 * and its text MUST be ignored unless a signature is then checked.
 */
import { fromBase64, fromUtf8, isWellFormedString, toBase64, utf8 } from '../bytes.js'
import { fail, ProtocolError } from '../errors.js'
import { isValidKeyName, keyHashHex, type Verifier } from './key.js'

/** Largest note accepted, in UTF-8 bytes: 100 post-quantum signatures fit. */
export const NOTE_MAX_BYTES = 1 << 20
/** Most signature lines accepted; the spec requires at least 16, Go stops at 100. */
export const NOTE_MAX_SIGNATURES = 100

/** One signature line. `signature` is what follows the 4-byte key ID. */
export interface NoteSignature {
  readonly name: string
  readonly keyHash: number
  readonly signature: Uint8Array
}

/** A note split into text and signatures; nothing in it is verified. */
export interface ParsedNote {
  readonly text: string
  readonly signatures: readonly NoteSignature[]
}

/** A note with its signatures sorted into verified and unknown-key ones. */
export interface OpenedNote {
  readonly text: string
  /** Verified by a known key, in note order, one per key. */
  readonly signatures: readonly NoteSignature[]
  /** By keys not among the verifiers; ignored, kept so they can be re-emitted. */
  readonly unverified: readonly NoteSignature[]
}

const SIG_PREFIX = '\u2014 ' // em dash, space
// signed-note §"Format": no ASCII control characters other than newline.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0009\u000b-\u001f]/

function malformed(): never {
  return fail('PROTO_MALFORMED', 'malformed note')
}

/**
 * Splits a note into its text and signature lines, checking the format but
 * no signature. For code that must look at the signatures itself (witnesses,
 * re-signing); everyone else calls `open`.
 *
 * @example
 * const { text, signatures } = parse(noteBytes)
 * signatures[0].name // 'example.com/foo'
 */
export function parse(note: string | Uint8Array): ParsedNote {
  const { s, clean } = decode(note)
  if (!clean && FORBIDDEN.test(s)) malformed()
  // The text ends at the LAST blank line: the text may contain blank lines,
  // signature lines cannot (signed-note §"Format").
  const split = s.lastIndexOf('\n\n')
  if (split < 0) malformed()
  const block = s.slice(split + 2)
  if (block === '' || !block.endsWith('\n')) malformed()
  const lines = block.slice(0, -1).split('\n')
  if (lines.length > NOTE_MAX_SIGNATURES) fail('PROTO_TOO_LARGE', `note has more than ${NOTE_MAX_SIGNATURES} signatures`)
  return Object.freeze({ text: s.slice(0, split + 1), signatures: Object.freeze(lines.map(parseSignatureLine)) })
}

// Both a surrogate and a forbidden control character, in one native scan: a
// note string with neither, like every checkpoint, then needs neither the
// well-formedness check nor FORBIDDEN (which cost 0.3 µs each on a
// checkpoint with two cosignatures).
// eslint-disable-next-line no-control-regex
const SURROGATE_OR_FORBIDDEN = /[\u0000-\u0009\u000b-\u001f\ud800-\udfff]/

/** The note as a string; `clean` when it is known to have no forbidden character. */
function decode(note: string | Uint8Array): { s: string; clean: boolean } {
  // A string's UTF-16 length never exceeds its UTF-8 length: a cheap first bound.
  if (note.length > NOTE_MAX_BYTES) fail('PROTO_TOO_LARGE', `note is larger than ${NOTE_MAX_BYTES} bytes`)
  if (typeof note !== 'string') {
    try {
      return { s: fromUtf8(note), clean: false }
    } catch {
      return malformed()
    }
  }
  const clean = !SURROGATE_OR_FORBIDDEN.test(note)
  if (!clean && !isWellFormedString(note)) malformed()
  // A UTF-16 unit is at most 3 UTF-8 bytes: only a string that might be
  // over the bound is measured (a checkpoint never is).
  if (note.length * 3 > NOTE_MAX_BYTES && utf8Length(note) > NOTE_MAX_BYTES) {
    fail('PROTO_TOO_LARGE', `note is larger than ${NOTE_MAX_BYTES} bytes`)
  }
  return { s: note, clean }
}

function utf8Length(s: string): number {
  let n = s.length
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0x80) n += c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 1 : 2 // a surrogate pair: 2 units, 4 bytes
  }
  return n
}

/**
 * Parses one signature line without its newline: `— <name> <base64>`. The
 * base64 must be canonical and hold a key ID and at least one byte.
 *
 * @example
 * parseSignatureLine('— example.com/foo Uw2QOkn8…').keyHash // 0x530d903a
 */
export function parseSignatureLine(line: string): NoteSignature {
  if (!line.startsWith(SIG_PREFIX)) malformed()
  // attacker-controlled: name, key ID and signature are unverified here
  const rest = line.slice(SIG_PREFIX.length)
  const sp = rest.indexOf(' ')
  if (sp < 0) malformed()
  const name = rest.slice(0, sp)
  const b64 = rest.slice(sp + 1)
  if (!isValidKeyName(name)) malformed()
  let raw: Uint8Array
  try {
    raw = fromBase64(b64)
  } catch {
    return malformed()
  }
  if (raw.length < 5) malformed()
  const keyHash = ((raw[0]! << 24) | (raw[1]! << 16) | (raw[2]! << 8) | raw[3]!) >>> 0
  return Object.freeze({ name, keyHash, signature: raw.subarray(4) })
}

/**
 * Parses a note and checks its signatures against the known verifiers,
 * like Go's `note.Open`:
 * - a line whose (name, key ID) matches no verifier is kept in `unverified`
 *   (signed-note §"Signatures": MUST ignore unknown keys, even when the name
 *   or the ID alone matches); identical repeats are dropped;
 * - a line by a known key MUST verify, else PROTO_SIG_INVALID for the whole
 *   note (the spec's SHOULD, which Go follows); a key's later lines are
 *   ignored, as Go does;
 * - if no known key signed, PROTO_NOTE_UNVERIFIED, with the parsed note
 *   (unverified) in `details.note`, like Go's UnverifiedNoteError.
 * Two verifiers with the same name and key ID are refused (PROTO_KEY_INVALID).
 *
 * @example
 * const v = verifierFromString('example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k')
 * const { text } = open(noteText, [v]) // 'This is an example message.\n'
 */
export function open(note: string | Uint8Array, verifiers: readonly Verifier[]): OpenedNote {
  return openNote(note, verifiers).opened
}

/**
 * `open`, also naming the verifier that accepted each signature:
 * `by[i]` verified `opened.signatures[i]`. For callers that then need the
 * key behind a signature (openCosignedCheckpoint) without looking it up
 * again. @internal (not re-exported)
 */
export function openNote(note: string | Uint8Array, verifiers: readonly Verifier[]): { opened: OpenedNote; by: readonly Verifier[] } {
  // Verifiers are found by key ID, then name: a number-keyed map rather
  // than a "<keyHash> <name>" string built per verifier and per line
  // (measured 0.15 µs against 0.8 µs for a checkpoint with two cosignatures).
  const known = new Map<number, Verifier[]>()
  for (const v of verifiers) {
    const same = known.get(v.keyHash)
    if (same === undefined) known.set(v.keyHash, [v])
    else if (findByName(same, v.name) !== undefined) fail('PROTO_KEY_INVALID', `ambiguous key ${v.name}+${keyHashHex(v.keyHash)}`)
    else same.push(v)
  }
  const parsed = parse(note)
  const msg = utf8(parsed.text)
  const signatures: NoteSignature[] = []
  const by: Verifier[] = []
  const unverified: NoteSignature[] = []
  const seenLines = new Set<string>() // unknown-key lines already kept
  for (const sig of parsed.signatures) {
    const same = known.get(sig.keyHash)
    const v = same === undefined ? undefined : findByName(same, sig.name)
    if (v === undefined) {
      const line = `${sig.keyHash} ${sig.name} ${toBase64(sig.signature)}`
      if (!seenLines.has(line)) unverified.push(sig)
      seenLines.add(line)
      continue
    }
    if (by.includes(v)) continue // a known key already checked
    if (!v.verify(msg, sig.signature)) {
      throw new ProtocolError('PROTO_SIG_INVALID', `invalid signature for key ${sig.name}+${keyHashHex(sig.keyHash)}`, {
        details: { name: sig.name, keyHash: sig.keyHash },
      })
    }
    signatures.push(sig)
    by.push(v)
  }
  const opened: OpenedNote = Object.freeze({
    text: parsed.text,
    signatures: Object.freeze(signatures),
    unverified: Object.freeze(unverified),
  })
  if (signatures.length === 0) {
    throw new ProtocolError('PROTO_NOTE_UNVERIFIED', 'note has no verifiable signatures', { details: { note: opened } })
  }
  return { opened, by }
}

function findByName(verifiers: readonly Verifier[], name: string): Verifier | undefined {
  for (const v of verifiers) if (v.name === name) return v
  return undefined
}
