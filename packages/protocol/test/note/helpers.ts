// Shared by the note, checkpoint and cosignature tests: a seeded PRNG (so a
// failing fuzz case can be replayed), byte mutations, and the totality check
// "returns a value or throws a ProtocolError with a known code".
import assert from 'node:assert/strict'
import { PROTOCOL_ERROR_CODES, ProtocolError, type ProtocolErrorCode } from '../../dist/errors.js'

export const enc = new TextEncoder()
export const lossy = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true })

/** mulberry32: small, fast, good enough to drive mutations. */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function int(r: () => number, n: number): number {
  return Math.floor(r() * n)
}

export function randomBytes(r: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n)
  for (let i = 0; i < n; i++) b[i] = int(r, 256)
  return b
}

// Fragments that sit on the format's boundaries.
const TOKENS = ['\n', '\n\n', '\u2014 ', '\u2014', '+', ' ', '=', '\r', '\t', '\u00a0', '\u0085', '\ufeff', '0', '-', 'A', '/']
  .map((t) => enc.encode(t))
  .concat([Uint8Array.of(0xff), Uint8Array.of(0xc0, 0x80), Uint8Array.of(0xed, 0xa0, 0x80), Uint8Array.of(0)])

function lines(b: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  let start = 0
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 0x0a) {
      out.push(b.subarray(start, i + 1))
      start = i + 1
    }
  }
  if (start < b.length) out.push(b.subarray(start))
  return out
}

function join(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

/** One random mutation of `b`: bit flip, byte set, truncation, cut, insertion, line edits, splice. */
export function mutate(r: () => number, b: Uint8Array, pool: readonly Uint8Array[] = []): Uint8Array {
  const out = b.slice()
  const at = int(r, b.length + 1)
  switch (int(r, 10)) {
    case 0:
      if (out.length > 0) out[Math.min(at, out.length - 1)]! ^= 1 << int(r, 8)
      return out
    case 1:
      if (out.length > 0) out[Math.min(at, out.length - 1)] = int(r, 256)
      return out
    case 2:
      return out.subarray(0, at)
    case 3:
      return join([out.subarray(0, at), out.subarray(Math.min(out.length, at + 1 + int(r, 8)))])
    case 4:
      return join([out.subarray(0, at), TOKENS[int(r, TOKENS.length)]!, out.subarray(at)])
    case 5:
      return join([out.subarray(0, at), randomBytes(r, 1 + int(r, 8)), out.subarray(at)])
    case 6: {
      const ls = lines(out)
      if (ls.length === 0) return out
      const i = int(r, ls.length)
      ls.splice(int(r, ls.length + 1), 0, ls[i]!) // duplicate a line
      return join(ls)
    }
    case 7: {
      const ls = lines(out)
      ls.splice(int(r, ls.length), 1) // drop a line
      return join(ls)
    }
    case 8: {
      const ls = lines(out)
      if (ls.length < 2) return out
      const i = int(r, ls.length)
      const j = int(r, ls.length)
      ;[ls[i], ls[j]] = [ls[j]!, ls[i]!]
      return join(ls)
    }
    default: {
      if (pool.length === 0) return out
      const other = pool[int(r, pool.length)]!
      return join([out.subarray(0, at), other.subarray(int(r, other.length + 1))])
    }
  }
}

/** Runs fn; returns 'ok' or the error code, failing the test on any non-ProtocolError. */
export function outcome(fn: () => unknown, input?: unknown): 'ok' | ProtocolErrorCode {
  try {
    fn()
    return 'ok'
  } catch (e) {
    assertProtocolError(e, input)
    return e.code
  }
}

/** The async counterpart of `outcome`. */
export async function outcomeAsync(fn: () => Promise<unknown>, input?: unknown): Promise<'ok' | ProtocolErrorCode> {
  try {
    await fn()
    return 'ok'
  } catch (e) {
    assertProtocolError(e, input)
    return e.code
  }
}

function assertProtocolError(e: unknown, input: unknown): asserts e is ProtocolError {
  if (!(e instanceof ProtocolError)) assert.fail(`non-ProtocolError ${String(e)} for input ${JSON.stringify(String(input))}`)
  assert.ok(Object.hasOwn(PROTOCOL_ERROR_CODES, e.code), `unknown code ${e.code}`)
}

export function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, 'hex'))
}
