/**
 * The body of a c2sp.org/tlog-witness `add-checkpoint` request:
 *
 *     old <size>\n                     decimal, no leading zeroes ("0" for zero)
 *     <base64 hash>\n                  0 to 63 consistency proof lines
 *     \n                               an empty line
 *     <signed checkpoint note>         c2sp.org/tlog-checkpoint in c2sp.org/signed-note
 *
 * Guarantees: `parseAddCheckpointRequest` accepts exactly the spelling the
 * spec allows (strict UTF-8, canonical decimal, canonical padded base64 of
 * 32-byte hashes, at most 63 of them, a note that parses) and
 * `formatAddCheckpointRequest(parse(b))` gives `b` back. Every failure is
 * the same WIT_MALFORMED "malformed add-checkpoint request", so the answer
 * does not tell a prober which check it tripped.
 *
 * Trusts: nothing. Everything returned is attacker-controlled: the note is
 * not verified here (see judge.ts), and `origin` only selects which log key
 * to verify it with.
 */
import { fromBase64, toBase64, note } from '@palisade/protocol'
import { WitnessError } from '../errors.js'

/** At most 63 proof lines (spec: "The client MUST NOT send more than 63"). */
export const MAX_PROOF_LINES = 63

/** A parsed add-checkpoint body; nothing in it is verified. */
export interface AddCheckpointRequest {
  /** Tree size of the previous checkpoint the client believes the witness holds. */
  readonly oldSize: number
  /** Consistency proof from oldSize to the checkpoint size: 32-byte hashes. */
  readonly proof: readonly Uint8Array[]
  /** The signed checkpoint note, exactly as sent. */
  readonly note: string
  /** The note text's first line: the origin it claims (unverified). */
  readonly origin: string
}

const OLD_LINE = /^old (0|[1-9][0-9]{0,15})$/
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

function malformed(cause?: unknown): never {
  throw new WitnessError('WIT_MALFORMED', 'malformed add-checkpoint request', cause === undefined ? {} : { cause })
}

/**
 * Parses an add-checkpoint body. Throws WIT_MALFORMED for anything the spec
 * does not allow; an old size above 2^53 − 1 is malformed too (no checkpoint
 * this witness accepts can be that large).
 *
 * @example
 * const req = parseAddCheckpointRequest(utf8('old 0\n\nexample.com/log\n1\n…=\n\n— example.com/log …\n'))
 * req.oldSize // 0
 */
export function parseAddCheckpointRequest(body: Uint8Array | string): AddCheckpointRequest {
  let s: string
  try {
    s = typeof body === 'string' ? body : decoder.decode(body)
  } catch (e) {
    return malformed(e)
  }
  // Header lines are never empty, so the first "\n\n" ends the last of them
  // and is the spec's empty line; the note follows it.
  const split = s.indexOf('\n\n')
  if (split < 0) malformed()
  const lines = s.slice(0, split).split('\n')
  const old = OLD_LINE.exec(lines[0]!)
  if (old === null) malformed()
  const oldSize = Number(old[1])
  if (!Number.isSafeInteger(oldSize)) malformed()
  if (lines.length - 1 > MAX_PROOF_LINES) malformed()
  const proof: Uint8Array[] = []
  for (const line of lines.slice(1)) {
    let h: Uint8Array
    try {
      h = fromBase64(line)
    } catch (e) {
      return malformed(e)
    }
    if (h.length !== 32) malformed()
    proof.push(h.slice())
  }
  const noteText = s.slice(split + 2)
  let text: string
  try {
    text = note.parse(noteText).text
  } catch (e) {
    return malformed(e)
  }
  const nl = text.indexOf('\n')
  const origin = text.slice(0, nl)
  if (origin === '') malformed()
  return Object.freeze({ oldSize, proof: Object.freeze(proof), note: noteText, origin })
}

/**
 * Formats an add-checkpoint body, the inverse of parseAddCheckpointRequest.
 * `note` is the signed checkpoint note (text, blank line, signature lines).
 *
 * @example
 * formatAddCheckpointRequest({ oldSize: 5, proof, note: signedCheckpoint })
 * // 'old 5\n<base64>\n…\n\n<origin>\n9\n<root>\n\n— <origin> …\n'
 */
export function formatAddCheckpointRequest(req: {
  readonly oldSize: number
  readonly proof: readonly Uint8Array[]
  readonly note: string
}): string {
  if (!Number.isSafeInteger(req.oldSize) || req.oldSize < 0) {
    throw new WitnessError('WIT_MALFORMED', 'old size must be a non-negative safe integer')
  }
  if (req.proof.length > MAX_PROOF_LINES || req.proof.some((h) => h.length !== 32)) {
    throw new WitnessError('WIT_MALFORMED', `a proof is at most ${MAX_PROOF_LINES} hashes of 32 bytes`)
  }
  return `old ${req.oldSize}\n${req.proof.map((h) => `${toBase64(h)}\n`).join('')}\n${req.note}`
}
