/**
 * `POST /v1/orgs/:org/incident/rotate-credentials` (docs/WIRE.md "Incident").
 * The answer holds every reissued API key in clear: the caller shows them
 * once and never logs them.
 */
import { ID_RE } from '@palisade/protocol'
import { API_KEY_RE } from './api-keys-api.js'
import type { OrgSession } from './session.js'
import { array, integer, millis, object, string } from './shape.js'

/** One reissued key. */
export interface ReissuedKey {
  readonly id: string
  readonly replaces: string
  readonly name: string
  readonly key: string
  readonly prefix: string
  readonly scopes: readonly string[]
  readonly expiresAt: number | null
}

/** What the server did. */
export interface RotatedCredentials {
  readonly apiKeys: readonly ReissuedKey[]
  readonly callerApiKey: string | null
  readonly revoked: { readonly apiKeys: number; readonly sessions: number; readonly enrollmentTokens: number }
  readonly log: { readonly origin: string; readonly currentKey: string; readonly pendingKey: string }
}

const VKEY_RE = /^[^\s+]{1,200}\+[0-9a-f]{8}\+[A-Za-z0-9+/=]{1,100}$/

/**
 * Rotates every credential of the org (the caller's API key included).
 *
 * @example
 * const r = await rotateCredentials(session)
 */
export function rotateCredentials(s: OrgSession): Promise<RotatedCredentials> {
  return s.api.post(s.path('/incident/rotate-credentials'), {}, readRotated, { timeoutMs: 120_000 })
}

/** Reads the answer of the rotation. */
export function readRotated(body: unknown): RotatedCredentials {
  const o = object(body, 'answer')
  const revoked = object(o['revoked'], 'revoked')
  const log = object(o['log'], 'log')
  const count = (k: string): number => integer(revoked[k], `revoked.${k}`)
  return {
    apiKeys: array(o['apiKeys'], 'apiKeys', (x, w) => {
      const k = object(x, w)
      return {
        id: string(k['id'], `${w}.id`, ID_RE),
        replaces: string(k['replaces'], `${w}.replaces`, ID_RE),
        name: string(k['name'], `${w}.name`, undefined, 400),
        key: string(k['key'], `${w}.key`, API_KEY_RE),
        prefix: string(k['prefix'], `${w}.prefix`, /^[a-z2-7]{8}$/),
        scopes: array(k['scopes'], `${w}.scopes`, (v, ww) => string(v, ww, /^[a-z][a-z0-9:._-]{0,63}$/), 16),
        expiresAt: millis(k['expiresAt'], `${w}.expiresAt`),
      }
    }, 10_000),
    callerApiKey: o['callerApiKey'] === null ? null : string(o['callerApiKey'], 'callerApiKey', ID_RE),
    revoked: { apiKeys: count('apiKeys'), sessions: count('sessions'), enrollmentTokens: count('enrollmentTokens') },
    log: {
      origin: string(log['origin'], 'log.origin', undefined, 200),
      currentKey: string(log['currentKey'], 'log.currentKey', VKEY_RE),
      pendingKey: string(log['pendingKey'], 'log.pendingKey', VKEY_RE),
    },
  }
}
