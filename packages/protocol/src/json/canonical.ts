/**
 * JSON Canonicalization Scheme, RFC 8785. Every signed payload in Palisade is
 * these bytes, so two implementations that agree on the value agree on the
 * signature.
 *
 * - Objects: members sorted by the UTF-16 code units of their names (§3.2.3).
 * - Numbers: the ECMAScript Number-to-String rule (§3.2.2.3), which is exactly
 *   what String(n) does; -0 becomes 0; NaN and ±Infinity are refused.
 * - Strings: the ECMAScript JSON.stringify escaping (§3.2.2.2), which is
 *   exactly JSON.stringify on a well-formed string; lone surrogates are
 *   refused (I-JSON, RFC 7493 §2.1).
 * Only plain data is accepted: no undefined, functions, symbols, bigints,
 * class instances, or cycles. Depth is bounded so hostile input cannot
 * exhaust the stack.
 */
import { isWellFormedString, utf8 } from '../bytes.js'
import { fail } from '../errors.js'

export const CANONICAL_JSON_MAX_DEPTH = 64

/**
 * Returns the RFC 8785 canonical text of a JSON value.
 *
 * @example
 * canonicalJson({ b: 1, a: [true, null, 'x'] }) // '{"a":[true,null,"x"],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  return serialize(value, 0)
}

/** The UTF-8 bytes of canonicalJson(value): what gets signed. */
export function canonicalJsonBytes(value: unknown): Uint8Array {
  return utf8(canonicalJson(value))
}

function serialize(v: unknown, depth: number): string {
  if (depth > CANONICAL_JSON_MAX_DEPTH) fail('PROTO_JSON_UNSUPPORTED', `JSON nested deeper than ${CANONICAL_JSON_MAX_DEPTH}`)
  switch (typeof v) {
    case 'string':
      if (!isWellFormedString(v)) fail('PROTO_JSON_UNSUPPORTED', 'string contains an unpaired surrogate')
      return JSON.stringify(v)
    case 'number':
      if (!Number.isFinite(v)) fail('PROTO_JSON_UNSUPPORTED', `number ${v} has no JSON form`)
      return Object.is(v, -0) ? '0' : String(v)
    case 'boolean':
      return v ? 'true' : 'false'
    case 'object': {
      if (v === null) return 'null'
      if (Array.isArray(v)) {
        let s = '['
        for (let i = 0; i < v.length; i++) s += (i === 0 ? '' : ',') + serialize(v[i], depth + 1)
        return s + ']'
      }
      const proto = Object.getPrototypeOf(v)
      if (proto !== Object.prototype && proto !== null) fail('PROTO_JSON_UNSUPPORTED', 'only plain objects can be canonicalised')
      // Default sort compares UTF-16 code units, which is what §3.2.3 asks.
      const keys = Object.keys(v).sort()
      let s = '{'
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!
        const member = (v as Record<string, unknown>)[k]
        if (!isWellFormedString(k)) fail('PROTO_JSON_UNSUPPORTED', 'member name contains an unpaired surrogate')
        s += (i === 0 ? '' : ',') + JSON.stringify(k) + ':' + serialize(member, depth + 1)
      }
      return s + '}'
    }
    default:
      return fail('PROTO_JSON_UNSUPPORTED', `a ${typeof v} has no JSON form`)
  }
}
