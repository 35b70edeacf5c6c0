/**
 * The API keys of an org (permission org:admin; WIRE.md "API keys"):
 *
 * - POST   /v1/orgs/:org/api-keys `{ name, scopes, expiresInDays? }` → 201
 *   with the key, the only time it is ever shown (the server keeps its
 *   SHA-256: auth/api-key.ts);
 * - GET    /v1/orgs/:org/api-keys: every key of the org, revoked and
 *   expired ones included, with last use; never the secret or its hash;
 * - DELETE /v1/orgs/:org/api-keys/:id: revoke (idempotent).
 *
 * Keys always expire (1–365 days, default 90): a forgotten key dies on its
 * own. A key cannot carry more than its creator holds (scope-grant.ts).
 */
import { SCOPES, orgAccess, type Scope } from '../auth/access.js'
import { createApiKey } from '../auth/api-key.js'
import { withAuditedTransaction } from '../audit/audited-transaction.js'
import { creatorOf, orgOf } from '../auth/request-principal.js'
import { codePoints, textProblem } from '../directory/text-rules.js'
import { ServerError } from '../errors.js'
import { NO_QUERY, objectSchema } from '../http/schemas.js'
import { ORG_ID_SCHEMA } from '../log/route-schemas.js'
import type { RoutePlugin } from '../routes/route-context.js'
import { ungrantableScope } from './scope-grant.js'

/** Default and bounds of a key's lifetime, in days. */
export const API_KEY_DAYS = Object.freeze({ default: 90, min: 1, max: 365 })
const DAY_MS = 86_400_000

const ORG_PARAMS = objectSchema({ org: ORG_ID_SCHEMA }, ['org'])
const ID_PARAMS = objectSchema({ org: ORG_ID_SCHEMA, id: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9-]+$' } }, ['org', 'id'])
const SCOPES_SCHEMA = { type: 'array', minItems: 1, maxItems: SCOPES.length, uniqueItems: true, items: { type: 'string', enum: [...SCOPES] } }
const NULLABLE_TIME = { type: ['integer', 'null'] }
const KEY_ITEM = objectSchema(
  {
    id: { type: 'string' },
    name: { type: 'string' },
    prefix: { type: 'string' },
    scopes: { type: 'array', items: { type: 'string' } },
    createdAt: { type: 'integer' },
    createdBy: { type: ['string', 'null'] },
    expiresAt: NULLABLE_TIME,
    revokedAt: NULLABLE_TIME,
    lastUsedAt: NULLABLE_TIME,
    lastUsedAddr: { type: ['string', 'null'] },
  },
  ['id', 'name', 'prefix', 'scopes', 'createdAt', 'createdBy', 'expiresAt', 'revokedAt', 'lastUsedAt', 'lastUsedAddr'],
)

/** Options of {@link apiKeysRoutes}. */
export interface ApiKeysRoutesOptions {
  /** Milliseconds since the epoch (default Date.now). */
  readonly now?: () => number
}

/**
 * The API keys route plugin.
 *
 * @example
 * ROUTES: [..., apiKeysRoutes()]
 */
export function apiKeysRoutes(options: ApiKeysRoutesOptions = {}): RoutePlugin {
  const now = options.now ?? Date.now
  return async function apiKeysPlugin(app, { db }) {
    app.post(
      '/v1/orgs/:org/api-keys',
      {
        config: { access: orgAccess('org:admin'), audit: { action: 'apikey.create', target: 'api-key' } },
        schema: {
          params: ORG_PARAMS,
          querystring: NO_QUERY,
          body: objectSchema(
            {
              name: { type: 'string', minLength: 1, maxLength: 200 },
              scopes: SCOPES_SCHEMA,
              expiresInDays: { type: 'integer', minimum: API_KEY_DAYS.min, maximum: API_KEY_DAYS.max },
            },
            ['name', 'scopes'],
          ),
          response: {
            201: objectSchema(
              { id: { type: 'string' }, key: { type: 'string' }, prefix: { type: 'string' }, scopes: { type: 'array', items: { type: 'string' } }, expiresAt: { type: 'integer' } },
              ['id', 'key', 'prefix', 'scopes', 'expiresAt'],
            ),
          },
        },
      },
      async (request, reply) => {
        const org = orgOf(request)
        const body = request.body as { name: string; scopes: Scope[]; expiresInDays?: number }
        const name = body.name.normalize('NFC')
        const problem = textProblem(name) ?? (codePoints(name) > 200 ? 'must be at most 200 characters' : undefined)
        if (problem !== undefined) throw new ServerError('SRV_VALIDATION', `name ${problem}`, { errors: [{ path: '/body/name', message: problem }] })
        const denied = ungrantableScope(request.principal, body.scopes)
        if (denied !== undefined) {
          throw new ServerError('SRV_FORBIDDEN', `you cannot grant the scope ${denied}: it needs permissions you do not hold`, {
            errors: [{ path: '/body/scopes', message: `${denied} exceeds the creator's own permissions` }],
          })
        }
        const t = now()
        const expiresAt = t + (body.expiresInDays ?? API_KEY_DAYS.default) * DAY_MS
        // The key and its audit event commit together (audit/audited-transaction.ts).
        const created = await withAuditedTransaction(db, request, async (trx) => {
          const c = await createApiKey(trx, org, name, body.scopes, { now: t, expiresAt, createdBy: creatorOf(request) })
          request.auditTarget = c.id
          request.auditDetails = { name, scopes: body.scopes, prefix: c.prefix, expiresAt }
          return c
        }, { statusCode: 201, at: t })
        return reply.code(201).send({ id: created.id, key: created.key, prefix: created.prefix, scopes: body.scopes, expiresAt })
      },
    )

    app.get(
      '/v1/orgs/:org/api-keys',
      { config: { access: orgAccess('org:admin') }, schema: { params: ORG_PARAMS, querystring: NO_QUERY, response: { 200: objectSchema({ apiKeys: { type: 'array', items: KEY_ITEM } }, ['apiKeys']) } } },
      async (request) => {
        const rows = await db
          .selectFrom('api_keys')
          .select(['id', 'name', 'prefix', 'scopes', 'created_at', 'created_by', 'expires_at', 'revoked_at', 'last_used_at', 'last_used_addr'])
          .where('org_id', '=', orgOf(request))
          .orderBy('created_at', 'desc')
          .orderBy('id')
          .limit(10_000)
          .execute()
        return {
          apiKeys: rows.map((r) => ({
            id: r.id,
            name: r.name,
            prefix: r.prefix,
            scopes: storedScopes(r.scopes),
            createdAt: Number(r.created_at),
            createdBy: r.created_by,
            expiresAt: nullableNumber(r.expires_at),
            revokedAt: nullableNumber(r.revoked_at),
            lastUsedAt: nullableNumber(r.last_used_at),
            lastUsedAddr: r.last_used_addr,
          })),
        }
      },
    )

    app.delete(
      '/v1/orgs/:org/api-keys/:id',
      {
        config: { access: orgAccess('org:admin'), audit: { action: 'apikey.revoke', target: 'api-key' } },
        schema: { params: ID_PARAMS, querystring: NO_QUERY, response: { 200: objectSchema({ id: { type: 'string' }, revokedAt: { type: 'integer' } }, ['id', 'revokedAt']) } },
      },
      async (request) => {
        const org = orgOf(request)
        const { id } = request.params as { id: string }
        const t = now()
        return withAuditedTransaction(db, request, async (trx) => {
          await trx.updateTable('api_keys').set({ revoked_at: t }).where('id', '=', id).where('org_id', '=', org).where('revoked_at', 'is', null).execute()
          const row = await trx.selectFrom('api_keys').select('revoked_at').where('id', '=', id).where('org_id', '=', org).executeTakeFirst()
          if (row === undefined || row.revoked_at === null) throw new ServerError('SRV_NOT_FOUND', 'no such API key')
          return { id, revokedAt: Number(row.revoked_at) }
        }, { at: t })
      },
    )
  }
}

function nullableNumber(v: number | null): number | null {
  return v === null ? null : Number(v)
}

function storedScopes(text: string): string[] {
  try {
    const v: unknown = JSON.parse(text)
    return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []
  } catch {
    return []
  }
}
