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

export function parseJson(input: string | Uint8Array, maxBytes: number, what: string): unknown {
  // a string's UTF-16 length is at most its UTF-8 length, so this bound is safe
  if (input.length > maxBytes) fail('PROTO_TOO_LARGE', `${what} is larger than ${maxBytes} bytes`)
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
  while (i < text.length) {
    const c = text[i]!
    if (c === '"') {
      let j = i + 1
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1
      if (expectKey) {
        const top = stack[stack.length - 1]
        const key = JSON.parse(text.slice(i, j + 1)) as string
        if (top) {
          if (top.has(key)) return true
          top.add(key)
        }
        expectKey = false
      }
      i = j + 1
      continue
    }
    if (c === '{') {
      stack.push(new Set())
      expectKey = true
    } else if (c === '[') {
      stack.push(null)
    } else if (c === '}' || c === ']') {
      stack.pop()
    } else if (c === ',') {
      expectKey = stack[stack.length - 1] != null
    }
    i++
  }
  return false
}
