/**
 * Bounded JSON parsing for attacker-controlled bytes: a size cap before the
 * parse, strict UTF-8, a depth cap after it, and a typed error instead of a
 * SyntaxError. Duplicate member names are refused, because two parsers that
 * keep different duplicates would read two different documents from one
 * signed byte string.
 */
import { fromUtf8 } from '../bytes.js'
import { fail, ProtocolError } from '../errors.js'
import { CANONICAL_JSON_MAX_DEPTH } from './canonical.js'

/**
 * Parses JSON text (a string, or UTF-8 bytes decoded strictly) of at most
 * `maxBytes` UTF-8 bytes. Throws ProtocolError: PROTO_TOO_LARGE (over
 * maxBytes, or nested deeper than CANONICAL_JSON_MAX_DEPTH), PROTO_MALFORMED
 * (invalid UTF-8, not JSON, or an object with a repeated member name, also
 * when the two names are spelled differently, like "a" and "\u0061").
 * `what` names the input in error messages.
 *
 * @example
 * parseJson('{"a":1}', 1024, 'request') // { a: 1 }
 * parseJson('{"a":1,"\\u0061":2}', 1024, 'request') // throws PROTO_MALFORMED
 */
export function parseJson(input: string | Uint8Array, maxBytes: number, what: string): unknown {
  // A string's UTF-16 length is at most its UTF-8 length, so the quick test
  // never refuses too much; a string that may be near the bound is measured.
  if (input.length > maxBytes || (typeof input === 'string' && input.length * 3 > maxBytes && utf8Length(input) > maxBytes)) {
    fail('PROTO_TOO_LARGE', `${what} is larger than ${maxBytes} bytes`)
  }
  const text = typeof input === 'string' ? input : fromUtf8(input, what)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (e) {
    throw new ProtocolError('PROTO_MALFORMED', `${what} is not valid JSON`, { cause: e })
  }
  if (hasDuplicateKeys(text)) fail('PROTO_MALFORMED', `${what} has a duplicate member name`)
  checkDepth(value, 0, what)
  return value
}

/** The UTF-8 byte length of a string, without encoding it (a lone surrogate counts as U+FFFD: 3 bytes). */
function utf8Length(s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4
      i++
    } else n += 3
  }
  return n
}

function checkDepth(v: unknown, depth: number, what: string): void {
  if (depth > CANONICAL_JSON_MAX_DEPTH) fail('PROTO_TOO_LARGE', `${what} is nested deeper than ${CANONICAL_JSON_MAX_DEPTH}`)
  if (typeof v !== 'object' || v === null) return
  for (const c of Array.isArray(v) ? v : Object.values(v)) checkDepth(c, depth + 1, what)
}

/**
 * Scans JSON text (already known to parse) for an object with a repeated
 * member name. A linear pass with a stack of key sets; strings are decoded
 * with JSON.parse so escapes compare by value.
 */
function hasDuplicateKeys(text: string): boolean {
  const stack: (Set<string> | null)[] = []
  let i = 0
  let expectKey = false
  const n = text.length
  while (i < n) {
    const c = text.charCodeAt(i)
    if (c === 0x22 /* " */) {
      let j = i + 1
      let escaped = false
      for (;;) {
        const d = text.charCodeAt(j)
        if (d === 0x22) break
        if (d === 0x5c /* \ */) {
          escaped = true
          j += 2
        } else j++
      }
      if (expectKey) {
        const top = stack[stack.length - 1]
        // only a name with escapes needs decoding to compare by value
        const key = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j)
        if (top) {
          if (top.has(key)) return true
          top.add(key)
        }
        expectKey = false
      }
      i = j + 1
      continue
    }
    if (c === 0x7b /* { */) {
      stack.push(new Set())
      expectKey = true
    } else if (c === 0x5b /* [ */) {
      stack.push(null)
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop()
    } else if (c === 0x2c /* , */) {
      expectKey = stack[stack.length - 1] != null
    }
    i++
  }
  return false
}
