/**
 * POST /v1/orgs/:org/incident/rotate-credentials (permission `org:admin`,
 * audited `incident.rotate-credentials`): revokes and reissues every API
 * key, revokes every console session and enrollment token, and makes a
 * pending log key, in one transaction (rotate-credentials.ts) that also
 * records the audit event. The answer carries the new keys, the only time
 * they are shown; the audit event carries counts, ids and prefixes, never a
 * key.
 */
import { orgAccess } from '../auth/access.js'
import { withAuditedTransaction } from '../audit/audited-transaction.js'
import { creatorOf, orgOf } from '../auth/request-principal.js'
import { ORG_PARAMS } from '../commands/route-params.js'
import { NO_QUERY, objectSchema } from '../http/schemas.js'
import type { RoutePlugin } from '../routes/route-context.js'
import { rotateCredentials, type RotationTransaction } from './rotate-credentials.js'

const NULLABLE_TIME = { type: ['integer', 'null'] }
const COUNT = { type: 'integer', minimum: 0 }
const KEY = objectSchema(
  {
    id: { type: 'string' },
    replaces: { type: 'string' },
    name: { type: 'string' },
    key: { type: 'string' },
    prefix: { type: 'string' },
    scopes: { type: 'array', items: { type: 'string' } },
    expiresAt: NULLABLE_TIME,
  },
  ['id', 'replaces', 'name', 'key', 'prefix', 'scopes', 'expiresAt'],
)
const ANSWER = objectSchema(
  {
    apiKeys: { type: 'array', items: KEY },
    callerApiKey: { type: ['string', 'null'] },
    revoked: objectSchema({ apiKeys: COUNT, sessions: COUNT, enrollmentTokens: COUNT }, ['apiKeys', 'sessions', 'enrollmentTokens']),
    log: objectSchema({ origin: { type: 'string' }, currentKey: { type: 'string' }, pendingKey: { type: 'string' } }, ['origin', 'currentKey', 'pendingKey']),
  },
  ['apiKeys', 'callerApiKey', 'revoked', 'log'],
)

/** Options of {@link incidentRoutes}. */
export interface IncidentRoutesOptions {
  /** Milliseconds since the epoch (default Date.now). */
  readonly now?: () => number
}

/**
 * The incident route plugin.
 *
 * @example
 * ROUTES: [..., incidentRoutes()]
 */
export function incidentRoutes(options: IncidentRoutesOptions = {}): RoutePlugin {
  const now = options.now ?? Date.now
  return async function incidentPlugin(app, { db }) {
    app.post(
      '/v1/orgs/:org/incident/rotate-credentials',
      {
        config: { access: orgAccess('org:admin'), audit: { action: 'incident.rotate-credentials', target: 'org' } },
        schema: { params: ORG_PARAMS, querystring: NO_QUERY, body: objectSchema({}), response: { 200: ANSWER } },
      },
      async (request) => {
        const org = orgOf(request)
        const p = request.principal
        const t = now()
        // The event commits with the rotation, described by its result (never a key).
        const audited: RotationTransaction = (work) =>
          withAuditedTransaction(db, request, async (trx) => {
            const rotated = await work(trx)
            request.auditTarget = org
            request.auditDetails = {
              revoked: rotated.revoked,
              reissued: rotated.apiKeys.map((k) => ({ id: k.id, replaces: k.replaces, prefix: k.prefix })).slice(0, 40),
              pendingLogKey: rotated.log.pendingKey,
            }
            return rotated
          }, { at: t })
        const result = await rotateCredentials(db, audited, org, { createdBy: creatorOf(request), apiKeyId: p.kind === 'api-key' ? p.apiKeyId : null }, t)
        request.log.warn({ org, revoked: result.revoked }, 'incident: every credential of the org rotated')
        return result
      },
    )
  }
}
