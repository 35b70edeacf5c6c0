/**
 * Checks the witness list given with a root (setup, rotation) against the
 * root: the keys must be valid cosignature/v1 keys, and the URLs plain
 * http(s) base URLs. Reports every bad field at once.
 */
import { cosignature } from '@palisade/protocol'
import type { FieldError } from '../errors.js'

/** A witness as the API takes it. */
export interface WitnessInput {
  /** cosignature/v1 verifier key, as the root lists it. */
  readonly key: string
  /** Base URL: the server POSTs to `<url>/add-checkpoint`. */
  readonly url: string
}

/**
 * Field errors (paths under `/body/witnesses`) for witnesses whose key or
 * URL is unusable, or that repeat a key.
 *
 * @example
 * witnessFieldErrors([{ key: 'w+1234abcd+BA…', url: 'ftp://x' }]) // [{ path: '/body/witnesses/0/url', … }]
 */
export function witnessFieldErrors(witnesses: readonly WitnessInput[]): FieldError[] {
  const errors: FieldError[] = []
  const seen = new Set<string>()
  witnesses.forEach((w, i) => {
    try {
      cosignature.witnessVerifierFromString(w.key)
    } catch {
      errors.push({ path: `/body/witnesses/${i}/key`, message: 'is not a cosignature/v1 verifier key' })
    }
    if (seen.has(w.key)) errors.push({ path: `/body/witnesses/${i}/key`, message: 'repeats a witness' })
    seen.add(w.key)
    if (!isWitnessUrl(w.url)) errors.push({ path: `/body/witnesses/${i}/url`, message: 'must be an http(s) URL without credentials, query or fragment' })
  })
  return errors
}

/** True for an absolute http(s) URL with no credentials, query or fragment. */
export function isWitnessUrl(url: string): boolean {
  if (!URL.canParse(url)) return false
  const u = new URL(url)
  return (u.protocol === 'https:' || u.protocol === 'http:') && u.username === '' && u.password === '' && u.search === '' && !url.includes('#')
}
