/**
 * Writing signed notes (c2sp.org/signed-note), byte for byte as Go's
 * golang.org/x/mod/sumdb/note `Sign` does: the text, a blank line, the
 * signatures the note already carries (minus those a new signer replaces),
 * then one line per new signer, in order. Ed25519 is deterministic, so a
 * note signed here with a key equals the note Go signs with that key.
 *
 * Guarantees: everything `sign` returns is accepted by `parse` (same text
 * rules, same limits), so we never publish a note we would refuse to read.
 *
 * Trusts: the signers, and the existing signatures it is asked to carry over
 * (it copies them; it does not verify them).
 */
import { isWellFormedString, toBase64, utf8 } from '../bytes.js'
import { fail } from '../errors.js'
import { isValidKeyName, type Signer } from './key.js'
import { NOTE_MAX_BYTES, NOTE_MAX_SIGNATURES, type NoteSignature } from './open.js'

/** A text to sign, with the signatures it already has (e.g. from `open` or `parse`). */
export interface SignableNote {
  readonly text: string
  readonly signatures?: readonly NoteSignature[]
  readonly unverified?: readonly NoteSignature[]
}

// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0009\u000b-\u001f]/

/**
 * Signs a text, or adds signatures to a note. A new signer whose name and
 * key ID match an existing signature replaces it (Go elides the old line);
 * existing lines come first, verified before unverified, new ones last.
 *
 * @example
 * const signer = await signerFromString('PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz')
 * const note = await sign('If you think cryptography is the answer to your problem,\n' +
 *   "then you don't know what your problem is.\n", [signer])
 * // '…problem is.\n\n— PeterNeumann x08go/ZJkuBS9UG…\n'
 * const cosigned = await sign(open(note, [verifier]), [anotherSigner]) // adds a second line
 */
export async function sign(note: string | SignableNote, signers: readonly Signer[]): Promise<string> {
  const n: SignableNote = typeof note === 'string' ? { text: note } : note
  const text = n.text
  // signed-note §"Format": text ends in a newline, valid UTF-8, no control
  // characters but newline. Go only checks the newline; we check what `open`
  // will check, so a bad text fails here rather than at every reader.
  if (!text.endsWith('\n') || !isWellFormedString(text) || FORBIDDEN.test(text)) {
    fail('PROTO_MALFORMED', 'note text must be UTF-8 ending in a newline, with no control characters but newline')
  }
  const replaced = new Set<string>()
  for (const s of signers) {
    if (!isValidKeyName(s.name) || !isUint32(s.keyHash)) fail('PROTO_KEY_INVALID', 'invalid signer')
    replaced.add(`${s.keyHash} ${s.name}`)
  }
  const msg = utf8(text)
  const fresh = await Promise.all(
    signers.map(async (s) => {
      const sig = await s.sign(msg)
      if (!(sig instanceof Uint8Array) || sig.length === 0) fail('PROTO_KEY_INVALID', `signer ${s.name} returned no signature`)
      return formatSignatureLine({ name: s.name, keyHash: s.keyHash, signature: sig })
    }),
  )
  const kept: string[] = []
  for (const sig of [...(n.signatures ?? []), ...(n.unverified ?? [])]) {
    if (replaced.has(`${sig.keyHash} ${sig.name}`)) continue
    kept.push(formatSignatureLine(sig))
  }
  const lines = [...kept, ...fresh]
  if (lines.length === 0) fail('PROTO_MALFORMED', 'a signed note needs at least one signature')
  if (lines.length > NOTE_MAX_SIGNATURES) fail('PROTO_TOO_LARGE', `note would have more than ${NOTE_MAX_SIGNATURES} signatures`)
  const out = text + '\n' + lines.join('')
  if (utf8(out).length > NOTE_MAX_BYTES) fail('PROTO_TOO_LARGE', `note would be larger than ${NOTE_MAX_BYTES} bytes`)
  return out
}

/**
 * One signature line, newline included: `— <name> base64(key ID ‖ signature)\n`.
 *
 * @example
 * formatSignatureLine({ name: 'example.com/w', keyHash: 0x01020304, signature: Uint8Array.of(9) })
 * // '— example.com/w AQIDBAk=\n'
 */
export function formatSignatureLine(sig: NoteSignature): string {
  if (!isValidKeyName(sig.name) || !isUint32(sig.keyHash) || sig.signature.length === 0) {
    fail('PROTO_MALFORMED', 'invalid signature line')
  }
  const raw = new Uint8Array(4 + sig.signature.length)
  raw[0] = sig.keyHash >>> 24
  raw[1] = (sig.keyHash >>> 16) & 255
  raw[2] = (sig.keyHash >>> 8) & 255
  raw[3] = sig.keyHash & 255
  raw.set(sig.signature, 4)
  return `\u2014 ${sig.name} ${toBase64(raw)}\n`
}

function isUint32(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 0xffffffff
}
