/**
 * Readers for the JSON the server sends. The server is untrusted (DESIGN.md):
 * every answer is parsed here, once, into typed values before a command
 * uses it, and a field of the wrong type fails with a sentence naming the
 * field. Unknown fields are ignored, so a newer server can add fields
 * without breaking an older CLI; fields the CLI uses are strict.
 *
 * Readers throw ShapeError; the API client turns it into
 * CLI_SERVER_RESPONSE naming the server and the route.
 */
import { fromBase64 } from '@palisade/protocol'

/** A server answer of the wrong shape. Never escapes http/: the client wraps it. */
export class ShapeError extends Error {
  override readonly name = 'ShapeError'
}

/** Longest string field accepted unless a reader says otherwise (script output is capped by agents at 1 MiB). */
export const MAX_STRING = 4 * 1024 * 1024

function bad(where: string, what: string): never {
  throw new ShapeError(`${where} is not ${what}`)
}

/** A JSON object (not an array, not null). */
export function object(v: unknown, where: string): Readonly<Record<string, unknown>> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(where, 'an object')
  return v as Record<string, unknown>
}

/** A string of at most `max` UTF-16 code units, optionally matching `pattern`. */
export function string(v: unknown, where: string, pattern?: RegExp, max = MAX_STRING): string {
  if (typeof v !== 'string' || v.length > max) bad(where, 'a string')
  if (pattern !== undefined && !pattern.test(v)) bad(where, `a string of the form ${pattern.source}`)
  return v
}

/** A safe integer in [min, max]. */
export function integer(v: unknown, where: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) bad(where, `an integer from ${min} to ${max}`)
  return v
}

export function boolean(v: unknown, where: string): boolean {
  if (typeof v !== 'boolean') bad(where, 'a boolean')
  return v
}

/** An array of at most `max` items, each read by `item`. */
export function array<T>(v: unknown, where: string, item: (x: unknown, where: string) => T, max = 100_000): T[] {
  if (!Array.isArray(v) || v.length > max) bad(where, `an array of at most ${max} items`)
  return v.map((x, i) => item(x, `${where}[${i}]`))
}

/** Standard padded base64 (RFC 4648 §4), decoded. */
export function base64(v: unknown, where: string): Uint8Array {
  const s = string(v, where)
  try {
    return fromBase64(s, where)
  } catch {
    return bad(where, 'standard base64')
  }
}

/** `read(v)` unless v is undefined or null. */
export function optional<T>(v: unknown, read: (x: unknown) => T): T | undefined {
  return v === undefined || v === null ? undefined : read(v)
}

/** Unix milliseconds (the API's time unit), or null when absent. */
export function millis(v: unknown, where: string): number | null {
  return v === undefined || v === null ? null : integer(v, where, 0, 253402300799999)
}
