/**
 * API-key authentication for `/v1/orgs/:org/...` routes.
 *
 * `requireOrgKey` (a Fastify hook: use it as `preHandler` or `onRequest`)
 * reads `Authorization: Bearer pal_…`, finds the key by its prefix,
 * compares the secret's hash in constant time, refuses revoked and expired
 * keys, and requires `:org` to be the key's org. It then sets
 * `request.auth`.
 *
 * - no or unusable credentials → 401 SRV_UNAUTHENTICATED with a
 *   WWW-Authenticate challenge (RFC 6750 §3), one message for every case;
 * - a valid key of another org → 404 SRV_NOT_FOUND, the same answer as for
 *   an org that does not exist, so a key never reveals other orgs (A5).
 *
 * `installApiKeyAuth(app, db)` (done by buildApp) gives the hook its
 * database; it is a root decoration, so every route plugin can use the hook.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { ServerError } from '../errors.js'
import { hashSecret, parseApiKey, secretMatches } from './api-key.js'

/** Who a request is, once requireOrgKey accepted it. */
export interface OrgAuth {
  readonly orgId: string
  readonly apiKeyId: string
  readonly scopes: readonly string[]
}

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Set by requireOrgKey. Only routes that run that hook may read it; on
     * other routes it is null at runtime.
     */
    auth: OrgAuth
  }
}

/** last_used_at/addr are written at most this often per key. */
export const LAST_USED_INTERVAL_MS = 60_000

const CHALLENGE = 'Bearer realm="palisade"'
const INVALID = `${CHALLENGE}, error="invalid_token"`
const BEARER = /^Bearer +(\S+) *$/i
// A hash compared when the prefix is unknown, so both paths cost the same.
const DUMMY_HASH = hashSecret('palisade-no-such-key')

const kAuthenticator = Symbol('palisade.apiKeyAuthenticator')

interface Authenticator {
  readonly db: Kysely<Database>
  readonly now: () => number
}

/** Options of {@link installApiKeyAuth}. */
export interface ApiKeyAuthOptions {
  /** Milliseconds since the epoch (default Date.now). */
  readonly now?: () => number
}

/**
 * Makes {@link requireOrgKey} work in every plugin of `app` (call on the
 * root instance, before registering routes; buildApp does).
 *
 * @example
 * installApiKeyAuth(app, db)
 */
export function installApiKeyAuth(app: FastifyInstance, db: Kysely<Database>, options: ApiKeyAuthOptions = {}): void {
  const auth: Authenticator = Object.freeze({ db, now: options.now ?? Date.now })
  app.decorate(kAuthenticator, auth)
  app.decorateRequest('auth', null as unknown as OrgAuth)
}

/**
 * The hook. Throws ServerError (→ problem response) when the request may
 * not proceed.
 *
 * @example
 * app.get('/v1/orgs/:org/devices', { preHandler: requireOrgKey, schema }, async (request) => {
 *   const { orgId, apiKeyId } = request.auth
 * })
 */
export async function requireOrgKey(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  const authenticator = (request.server as unknown as Record<symbol, Authenticator | undefined>)[kAuthenticator]
  if (authenticator === undefined) throw new ServerError('SRV_INTERNAL', 'requireOrgKey used without installApiKeyAuth')
  const { db, now } = authenticator

  const header = request.headers.authorization
  if (header === undefined) throw unauthenticated(CHALLENGE)
  const presented = BEARER.exec(header)?.[1]
  const parsed = presented === undefined ? undefined : parseApiKey(presented)
  if (parsed === undefined) throw unauthenticated(INVALID)

  const row = await db
    .selectFrom('api_keys')
    .select(['id', 'org_id', 'secret_hash', 'scopes', 'expires_at', 'revoked_at', 'last_used_at'])
    .where('prefix', '=', parsed.prefix)
    .executeTakeFirst()
  const matches = secretMatches(parsed.secret, row?.secret_hash ?? DUMMY_HASH)
  const t = now()
  if (row === undefined || !matches || row.revoked_at !== null || (row.expires_at !== null && t >= row.expires_at)) {
    throw unauthenticated(INVALID)
  }

  const org = (request.params as Record<string, unknown> | undefined)?.['org']
  if (org !== row.org_id) throw new ServerError('SRV_NOT_FOUND', 'no such organisation')

  if (row.last_used_at === null || t - row.last_used_at >= LAST_USED_INTERVAL_MS) {
    await db
      .updateTable('api_keys')
      .set({ last_used_at: t, last_used_addr: request.ip.slice(0, 64) })
      .where('id', '=', row.id)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<=', t - LAST_USED_INTERVAL_MS)]))
      .execute()
  }
  request.auth = Object.freeze({ orgId: row.org_id, apiKeyId: row.id, scopes: parseScopes(row.scopes) })
}

function unauthenticated(challenge: string): ServerError<'SRV_UNAUTHENTICATED'> {
  return new ServerError('SRV_UNAUTHENTICATED', 'a valid API key of this organisation is required (Authorization: Bearer pal_…)', {
    headers: { 'www-authenticate': challenge },
  })
}

function parseScopes(text: string): readonly string[] {
  try {
    const v: unknown = JSON.parse(text)
    return Object.freeze(Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [])
  } catch {
    return Object.freeze([])
  }
}
