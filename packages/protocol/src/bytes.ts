/**
 * Byte helpers shared by every format. Pure, no platform APIs beyond ES2022,
 * so they behave the same in Node and in the browser.
 */
import { fail } from './errors.js'

const encoder = new TextEncoder()
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

// Small byte arrays are carved from shared slabs. V8 keeps typed arrays of
// at most 64 bytes on its heap, but a larger one gets its own off-heap
// backing store, and creating that costs about 1 µs on Node 20, which is
// more than hashing it (65-byte Merkle nodes, signature lines, PAE):
// measured 1.16 µs for new Uint8Array(65) against 0.03 µs for a slab view.
// A slab is never reused, so views start zeroed like any new array; a
// retained view keeps at most one 16 KiB slab alive.
const SLAB_SIZE = 16 * 1024
const SLAB_MAX = 4 * 1024
let slab = new Uint8Array(SLAB_SIZE)
let slabUsed = 0

/** A zeroed byte array of length n (like new Uint8Array(n), cheaper for small n). */
export function alloc(n: number): Uint8Array {
  if (n <= 64 || n > SLAB_MAX) return new Uint8Array(n)
  const at = reserve(n)
  slabUsed += (n + 7) & ~7
  return slab.subarray(at, at + n)
}

/** The offset of n free bytes in the current slab (starting a new one if needed); the caller takes what it uses. */
function reserve(n: number): number {
  if (slabUsed + n > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE)
    slabUsed = 0
  }
  return slabUsed
}

/** UTF-8 encode. Lone surrogates become U+FFFD (callers that sign text validate it first). */
export function utf8(text: string): Uint8Array {
  const worst = text.length * 3
  if (worst <= 64 || worst > SLAB_MAX) return encoder.encode(text)
  const at = reserve(worst)
  const written = encoder.encodeInto(text, slab.subarray(at, at + worst)).written
  // Take only what the text used, not its worst case of three bytes a
  // character: the rest was never written, so it is still zero for the next
  // caller. A 663-character command envelope took 1,992 bytes of slab for
  // its 663 bytes, and every new slab costs an allocation and a zero fill.
  slabUsed += (written + 7) & ~7
  return slab.subarray(at, at + written)
}

/** Strict UTF-8 decode: invalid sequences are a PROTO_MALFORMED error, never U+FFFD. */
export function fromUtf8(bytes: Uint8Array, what = 'text'): string {
  try {
    return strictDecoder.decode(bytes)
  } catch {
    return fail('PROTO_MALFORMED', `${what} is not valid UTF-8`)
  }
}

const SURROGATE = /[\uD800-\uDFFF]/

/** True for a string with no unpaired UTF-16 surrogate (so it has one UTF-8 encoding). */
export function isWellFormedString(s: string): boolean {
  if (!SURROGATE.test(s)) return true // the common case, scanned natively
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1)
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false
      i++
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return false
    }
  }
  return true
}

export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  let n = 0
  for (const p of parts) n += p.length
  const out = alloc(n)
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

/** Equality in time independent of where the first difference is. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let d = 0
  for (let i = 0; i < a.length; i++) d |= (a[i] as number) ^ (b[i] as number)
  return d === 0
}

const HEX = '0123456789abcdef'

export function toHex(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += HEX[b >> 4]! + HEX[b & 15]!
  return s
}

/** Lower-case hex only, even length: the canonical form we emit. */
export function fromHex(hex: string, what = 'hex'): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-f]*$/.test(hex)) fail('PROTO_MALFORMED', `${what} is not lower-case hex`)
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const B64_INDEX = new Int16Array(128).fill(-1)
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i

/** Standard base64 (RFC 4648 §4) with padding. */
export function toBase64(bytes: Uint8Array): string {
  let s = ''
  let i = 0
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
    s += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!
  }
  const rest = bytes.length - i
  if (rest === 1) {
    const n = bytes[i]! << 16
    s += B64[n >> 18]! + B64[(n >> 12) & 63]! + '=='
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8)
    s += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + '='
  }
  return s
}

/**
 * Strict standard base64: padding required, no whitespace, and the unused
 * trailing bits must be zero. Signatures and keys have exactly one encoding,
 * so a second spelling of the same bytes is refused rather than normalised.
 */
export function fromBase64(s: string, what = 'base64'): Uint8Array {
  const len = s.length
  if (len % 4 !== 0) fail('PROTO_MALFORMED', `${what} is not padded base64`)
  const pad = len === 0 ? 0 : s.charCodeAt(len - 1) !== 61 ? 0 : s.charCodeAt(len - 2) !== 61 ? 1 : 2
  const out = alloc((len / 4) * 3 - pad)
  const full = pad === 0 ? len : len - 4
  let o = 0
  for (let i = 0; i < full; i += 4) {
    const a = idx(s.charCodeAt(i)), b = idx(s.charCodeAt(i + 1)), c = idx(s.charCodeAt(i + 2)), d = idx(s.charCodeAt(i + 3))
    if ((a | b | c | d) < 0) fail('PROTO_MALFORMED', `${what} is not base64`)
    const n = (a << 18) | (b << 12) | (c << 6) | d
    out[o++] = n >> 16
    out[o++] = (n >> 8) & 255
    out[o++] = n & 255
  }
  if (pad !== 0) {
    const a = idx(s.charCodeAt(full)), b = idx(s.charCodeAt(full + 1))
    const c = pad === 1 ? idx(s.charCodeAt(full + 2)) : 0
    if ((a | b | c) < 0) fail('PROTO_MALFORMED', `${what} is not base64`)
    const n = (a << 18) | (b << 12) | (c << 6)
    // RFC 4648 §3.5: the unused bits must be zero in a canonical encoding
    if ((pad === 2 ? n & 0xffff : n & 0xff) !== 0) fail('PROTO_NOT_CANONICAL', `${what} has non-zero padding bits`)
    out[o++] = n >> 16
    if (pad === 1) out[o++] = (n >> 8) & 255
  }
  return out
}

function idx(c: number): number {
  return c < 128 ? B64_INDEX[c]! : -1
}
