/**
 * The request body of the C2SP tlog-witness `add-checkpoint` call
 * (c2sp.org/tlog-witness, "add-checkpoint"):
 *
 *     old <size the client believes the witness has>\n
 *     <base64 consistency-proof hash>\n        (zero or more)
 *     \n
 *     <the checkpoint, as a signed note>
 *
 * `formatAddCheckpointBody` is what the server sends; `parseAddCheckpointBody`
 * is the witness's side, kept here so that both are tested against each
 * other. Parsing trusts nothing: the note is returned unverified.
 */
import { fromBase64, toBase64 } from '@palisade/protocol'

/** One add-checkpoint request. */
export interface AddCheckpointRequest {
  /** The size the witness is believed to hold for this log (0: none). */
  readonly oldSize: number
  /** RFC 9162 consistency proof from `oldSize` to the checkpoint's size; empty when oldSize is 0 or equal. */
  readonly proof: readonly Uint8Array[]
  /** The checkpoint signed by the log key (C2SP signed note). */
  readonly note: string
}

/** A consistency proof of a 2^53-leaf tree has 54 hashes; the spec caps requests at 63 lines. */
export const MAX_PROOF_LINES = 63

const SIZE = /^(0|[1-9][0-9]{0,15})$/

/**
 * The body for an add-checkpoint request.
 *
 * @example
 * formatAddCheckpointBody({ oldSize: 0, proof: [], note })
 * // 'old 0\n\n' + note
 */
export function formatAddCheckpointBody(request: AddCheckpointRequest): string {
  const { oldSize, proof, note } = request
  if (!Number.isSafeInteger(oldSize) || oldSize < 0) throw new RangeError('oldSize must be a non-negative safe integer')
  if (proof.length > MAX_PROOF_LINES) throw new RangeError(`a consistency proof has at most ${MAX_PROOF_LINES} hashes`)
  return `old ${oldSize}\n${proof.map((h) => `${toBase64(h)}\n`).join('')}\n${note}`
}

/**
 * Parses an add-checkpoint body; undefined when it is malformed (the
 * witness then answers 400). The note is NOT verified.
 *
 * @example
 * parseAddCheckpointBody('old 0\n\n' + note)?.oldSize // 0
 */
export function parseAddCheckpointBody(body: string): AddCheckpointRequest | undefined {
  // attacker-controlled: every field, until the witness checks the note and the proof
  const lines: string[] = []
  let at = 0
  for (;;) {
    const nl = body.indexOf('\n', at)
    if (nl < 0) return undefined
    const line = body.slice(at, nl)
    at = nl + 1
    if (line === '') break
    lines.push(line)
    if (lines.length > MAX_PROOF_LINES + 1) return undefined
  }
  const [first, ...hashes] = lines
  if (first === undefined || !first.startsWith('old ')) return undefined
  const sizeText = first.slice(4)
  if (!SIZE.test(sizeText)) return undefined
  const oldSize = Number(sizeText)
  if (!Number.isSafeInteger(oldSize)) return undefined
  const proof: Uint8Array[] = []
  for (const h of hashes) {
    let bytes: Uint8Array
    try {
      bytes = fromBase64(h)
    } catch {
      return undefined
    }
    if (bytes.length !== 32) return undefined
    proof.push(bytes)
  }
  const note = body.slice(at)
  if (note === '') return undefined
  return Object.freeze({ oldSize, proof: Object.freeze(proof), note })
}
