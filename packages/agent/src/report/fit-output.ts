/**
 * Makes a command result fit one signed report.
 *
 * runScript keeps up to 1 MiB of each stream, but a report is one DSSE
 * payload, which Palisade bounds at DSSE_LIMITS.maxPayloadBytes (1 MiB) in
 * total, and JSON escaping can grow text (a control byte becomes six). So
 * the streams share the room left after the other fields: each gets half,
 * and a stream that needs less than its half gives the rest to the other.
 * A stream that is cut is marked truncated. Cuts fall on code-point
 * boundaries, so the text stays well-formed UTF-16 (canonical JSON refuses
 * lone surrogates).
 */
import { canonicalJsonBytes, dsse, type CommandResult } from '@palisade/protocol'

/** Room kept free below the DSSE payload bound, for safety against off-by-one in the estimate. */
const SLACK = 64

/**
 * Returns `r` unchanged when its canonical payload fits, else with stdout
 * and/or stderr cut to fit and their truncation flags set.
 *
 * @example
 * formatReport(fitOutput(result)) // at most DSSE_LIMITS.maxPayloadBytes bytes
 */
export function fitOutput(r: CommandResult, limit: number = dsse.DSSE_LIMITS.maxPayloadBytes): CommandResult {
  const base = canonicalJsonBytes({ ...r, stdout: '', stderr: '' }).length
  const room = Math.max(0, limit - base - SLACK)
  const out = encodedLength(r.stdout)
  const err = encodedLength(r.stderr)
  if (out + err <= room) return r
  let forOut = Math.floor(room / 2)
  let forErr = room - forOut
  if (out < forOut) {
    forOut = out
    forErr = room - out
  } else if (err < forErr) {
    forErr = err
    forOut = room - err
  }
  const stdout = cutEncoded(r.stdout, forOut)
  const stderr = cutEncoded(r.stderr, forErr)
  return Object.freeze({
    ...r,
    stdout,
    stderr,
    stdoutTruncated: r.stdoutTruncated || stdout.length < r.stdout.length,
    stderrTruncated: r.stderrTruncated || stderr.length < r.stderr.length,
  })
}

/** UTF-8 bytes of one UTF-16 code point (or code unit) as it appears inside a canonical JSON string. */
function unitCost(s: string, i: number): [bytes: number, units: number] {
  const c = s.charCodeAt(i)
  if (c === 0x22 || c === 0x5c || c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d) return [2, 1]
  if (c < 0x20) return [6, 1]
  if (c < 0x80) return [1, 1]
  if (c < 0x800) return [2, 1]
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
    const d = s.charCodeAt(i + 1)
    if (d >= 0xdc00 && d <= 0xdfff) return [4, 2]
  }
  // a lone surrogate would be refused anyway; count it as its \uXXXX escape
  return c >= 0xd800 && c <= 0xdfff ? [6, 1] : [3, 1]
}

/** Bytes of the string's content inside canonical JSON (without the quotes). */
export function encodedLength(s: string): number {
  let n = 0
  for (let i = 0; i < s.length; ) {
    const [b, u] = unitCost(s, i)
    n += b
    i += u
  }
  return n
}

/** The longest prefix (whole code points) whose encoded length is at most `max`. */
export function cutEncoded(s: string, max: number): string {
  let n = 0
  let i = 0
  while (i < s.length) {
    const [b, u] = unitCost(s, i)
    if (n + b > max) break
    n += b
    i += u
  }
  return i === s.length ? s : s.slice(0, i)
}

/** Replaces lone surrogates with U+FFFD and cuts to `max` code units on a code-point boundary. */
export function safeText(s: string, max: number): string {
  let t = s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
  if (t.length > max) {
    let end = max
    const c = t.charCodeAt(end - 1)
    if (c >= 0xd800 && c <= 0xdbff) end--
    t = t.slice(0, end)
  }
  return t
}
