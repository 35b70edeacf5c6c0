/**
 * What credential a request presents, read from its headers only (never
 * the body, which is not parsed yet when access is checked):
 *
 * - `Authorization: Bearer <token>` → an API key (any other scheme, or a
 *   token that is not shaped like a key, is an unusable bearer);
 * - the `palisade_session` cookie → a console session;
 * - both → ambiguous: refused rather than guessing which one the caller meant
 *   (a page with a session cookie must not be able to borrow a key, nor the reverse).
 *
 * All header values here are attacker-controlled; nothing is trusted until
 * the database lookup in resolve-*.ts.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { parseApiKey } from './api-key.js'
import { SESSION_COOKIE } from './session-policy.js'
import { SESSION_TOKEN_RE } from './session-token.js'

/** A presented credential; `undefined` fields mean "present but malformed". */
export type PresentedCredential =
  | { readonly kind: 'none' }
  | { readonly kind: 'ambiguous' }
  | { readonly kind: 'api-key'; readonly key: { readonly prefix: string; readonly secret: string } | undefined }
  | { readonly kind: 'session'; readonly token: string | undefined }

const BEARER = /^Bearer +(\S+) *$/i
// Cookie headers are capped by Node's header limit (16 KiB); we still refuse to scan absurd ones.
const MAX_COOKIE_HEADER = 8192

/**
 * Reads the credential a request carries.
 *
 * @example
 * presentedCredential({ authorization: 'Bearer pal_abcdefgh_…' }) // { kind: 'api-key', key: { prefix, secret } }
 * presentedCredential({ cookie: 'palisade_session=…' })            // { kind: 'session', token }
 */
export function presentedCredential(headers: IncomingHttpHeaders): PresentedCredential {
  const authorization = headers.authorization
  const session = sessionCookie(headers.cookie)
  if (authorization !== undefined && session !== null) return { kind: 'ambiguous' }
  if (authorization !== undefined) {
    const token = BEARER.exec(authorization)?.[1]
    return { kind: 'api-key', key: token === undefined ? undefined : parseApiKey(token) }
  }
  if (session !== null) return { kind: 'session', token: session }
  return { kind: 'none' }
}

/**
 * The session cookie's value: null when absent, undefined when present but
 * unusable (malformed, or sent twice: which one would we believe?).
 */
function sessionCookie(header: string | undefined): string | undefined | null {
  if (header === undefined || header === '') return null
  if (header.length > MAX_COOKIE_HEADER) return header.includes(`${SESSION_COOKIE}=`) ? undefined : null
  const values: string[] = []
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue
    values.push(part.slice(eq + 1).trim())
  }
  if (values.length === 0) return null
  const value = values.length === 1 ? values[0]! : ''
  return SESSION_TOKEN_RE.test(value) ? value : undefined
}
