/**
 * The API-key routes of an org (docs/WIRE.md "API keys"). A created key is
 * a secret: the caller shows it once and never logs it.
 */
import { ID_RE } from '@palisade/protocol'
import { segment, type OrgSession } from './session.js'
import { array, millis, object, string } from './shape.js'

/** The shape of an API key as the server issues it. */
export const API_KEY_RE = /^pal_[a-z2-7]{8}_[A-Za-z0-9_-]{43}$/
const SCOPE_RE = /^[a-z][a-z0-9:._-]{0,63}$/

/** A key just created. */
export interface CreatedApiKey {
  readonly id: string
  readonly key: string
  readonly prefix: string
  readonly scopes: readonly string[]
  readonly expiresAt: number | null
}

/** One line of the key list. */
export interface ApiKeySummary {
  readonly id: string
  readonly name: string
  readonly prefix: string
  readonly scopes: readonly string[]
  readonly createdAt: number | null
  readonly createdBy: string | null
  readonly expiresAt: number | null
  readonly revokedAt: number | null
  readonly lastUsedAt: number | null
  readonly lastUsedAddr: string | null
}

const scopes = (v: unknown, w: string): string[] => array(v, w, (x, ww) => string(x, ww, SCOPE_RE, 64), 16)
const nullableString = (v: unknown, w: string, max = 256): string | null => (v === null || v === undefined ? null : string(v, w, undefined, max))

/**
 * `POST /v1/orgs/:org/api-keys`.
 *
 * @example
 * const k = await createApiKey(s, 'ci', ['read'], 30)
 */
export function createApiKey(s: OrgSession, name: string, wanted: readonly string[], expiresInDays?: number): Promise<CreatedApiKey> {
  const body = expiresInDays === undefined ? { name, scopes: wanted } : { name, scopes: wanted, expiresInDays }
  return s.api.post(s.path('/api-keys'), body, (answer) => {
    const o = object(answer, 'answer')
    return {
      id: string(o['id'], 'id', ID_RE),
      key: string(o['key'], 'key', API_KEY_RE),
      prefix: string(o['prefix'], 'prefix', /^[a-z2-7]{8}$/),
      scopes: scopes(o['scopes'], 'scopes'),
      expiresAt: millis(o['expiresAt'], 'expiresAt'),
    }
  })
}

/**
 * `GET /v1/orgs/:org/api-keys`.
 *
 * @example
 * const keys = await listApiKeys(s)
 */
export function listApiKeys(s: OrgSession): Promise<ApiKeySummary[]> {
  return s.api.get(s.path('/api-keys'), (answer) =>
    array(object(answer, 'answer')['apiKeys'], 'apiKeys', (x, w) => {
      const o = object(x, w)
      return {
        id: string(o['id'], `${w}.id`, ID_RE),
        name: string(o['name'], `${w}.name`, undefined, 400),
        prefix: string(o['prefix'], `${w}.prefix`, undefined, 64),
        scopes: scopes(o['scopes'], `${w}.scopes`),
        createdAt: millis(o['createdAt'], `${w}.createdAt`),
        createdBy: nullableString(o['createdBy'], `${w}.createdBy`),
        expiresAt: millis(o['expiresAt'], `${w}.expiresAt`),
        revokedAt: millis(o['revokedAt'], `${w}.revokedAt`),
        lastUsedAt: millis(o['lastUsedAt'], `${w}.lastUsedAt`),
        lastUsedAddr: nullableString(o['lastUsedAddr'], `${w}.lastUsedAddr`, 64),
      }
    }),
  )
}

/**
 * `DELETE /v1/orgs/:org/api-keys/:id`.
 *
 * @example
 * await revokeApiKey(s, id)
 */
export function revokeApiKey(s: OrgSession, id: string): Promise<{ id: string; revokedAt: number | null }> {
  return s.api.delete(s.path(`/api-keys/${segment(id)}`), (answer) => {
    const o = object(answer, 'answer')
    return { id: string(o['id'], 'id', ID_RE), revokedAt: millis(o['revokedAt'], 'revokedAt') }
  })
}
