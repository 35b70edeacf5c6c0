/**
 * Small guards for turning parsed JSON (unknown) into typed values. Each
 * names the field in its error, and objects are refused when they carry a
 * member the schema does not know: a signed document means exactly what
 * its schema says, nothing a newer reader might interpret differently.
 */
import { fail } from '../errors.js'

export function expectObject(v: unknown, where: string, allowed: readonly string[]): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail('PROTO_MALFORMED', `${where} must be an object`)
  for (const k of Object.keys(v)) {
    if (!allowed.includes(k)) fail('PROTO_MALFORMED', `${where} has an unknown field "${k.slice(0, 64)}"`)
  }
  return v as Record<string, unknown>
}

export function expectString(v: unknown, where: string, pattern?: RegExp, maxLength = 1 << 20): string {
  if (typeof v !== 'string') fail('PROTO_MALFORMED', `${where} must be a string`)
  if (v.length > maxLength) fail('PROTO_TOO_LARGE', `${where} is longer than ${maxLength}`)
  if (pattern !== undefined && !pattern.test(v)) fail('PROTO_MALFORMED', `${where} does not match ${pattern.source}`)
  return v
}

export function expectInteger(v: unknown, where: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail('PROTO_MALFORMED', `${where} must be an integer`)
  if (v < min || v > max) fail('PROTO_MALFORMED', `${where} must be between ${min} and ${max}`)
  return v
}

export function expectArray(v: unknown, where: string, minItems: number, maxItems: number): readonly unknown[] {
  if (!Array.isArray(v)) fail('PROTO_MALFORMED', `${where} must be an array`)
  if (v.length > maxItems) fail('PROTO_TOO_LARGE', `${where} has more than ${maxItems} items`)
  if (v.length < minItems) fail('PROTO_MALFORMED', `${where} needs at least ${minItems} items`)
  return v
}
