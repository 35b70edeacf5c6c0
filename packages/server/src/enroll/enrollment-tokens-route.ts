/**
 * POST /v1/orgs/:org/enrollment-tokens — an admin (devices:write)
 * creates a one-time (or n-time) enrollment token and gets the install
 * command to run on the machine: server URL, token, and the fingerprint of
 * root v1, which the agent pins. The token is shown once; only its hash is
 * stored, in the transaction that records its audit event, so no token can
 * enroll a device without the trail showing who made it.
 */
import { randomBytes } from 'node:crypto'
import { orgAccess } from '../auth/access.js'
import { withAuditedTransaction } from '../audit/audited-transaction.js'
import { creatorOf, orgOf } from '../auth/request-principal.js'
import { anchorFingerprint } from '../commands/org-roots.js'
import { ORG_PARAMS } from '../commands/route-params.js'
import { ServerError } from '../errors.js'
import { NO_QUERY, objectSchema } from '../http/schemas.js'
import type { RoutePlugin } from '../routes/route-context.js'
import { hashEnrollmentToken, newEnrollmentToken, TOKEN_LIMITS } from './enrollment-token.js'
import { publicUrl } from './public-url.js'

const L = TOKEN_LIMITS

/** The enrollment-token route. */
export const enrollmentTokensRoute: RoutePlugin = async (app, { db, config }) => {
  app.post(
    '/v1/orgs/:org/enrollment-tokens',
    {
      config: { access: orgAccess('devices:write'), audit: { action: 'enrollment-token.create', target: 'enrollment-token' } },
      schema: {
        params: ORG_PARAMS,
        querystring: NO_QUERY,
        body: objectSchema({
          ttlSeconds: { type: 'integer', minimum: L.minTtlSeconds, maximum: L.maxTtlSeconds },
          uses: { type: 'integer', minimum: L.minUses, maximum: L.maxUses },
        }),
        response: {
          201: objectSchema(
            {
              token: { type: 'string' },
              expiresAt: { type: 'integer' },
              fingerprint: { type: 'string' },
              installCommand: { type: 'string' },
            },
            ['token', 'expiresAt', 'fingerprint', 'installCommand'],
          ),
        },
      },
    },
    async (request, reply) => {
      const org = orgOf(request)
      const body = request.body as { ttlSeconds?: number; uses?: number }
      const fingerprint = await anchorFingerprint(db, org)
      if (fingerprint === undefined) throw new ServerError('SRV_CONFLICT', 'the org has no root of trust yet: finish setup first')
      const token = newEnrollmentToken()
      const now = Date.now()
      const expiresAt = now + (body.ttlSeconds ?? L.defaultTtlSeconds) * 1000
      const id = `enroll-${randomBytes(10).toString('hex')}`
      request.auditTarget = id
      request.auditDetails = { uses: body.uses ?? L.defaultUses, expiresAt }
      await withAuditedTransaction(
        db,
        request,
        (trx) =>
          trx
            .insertInto('enrollment_tokens')
            .values({
              id,
              org_id: org,
              token_hash: hashEnrollmentToken(token),
              created_at: now,
              expires_at: expiresAt,
              uses_left: body.uses ?? L.defaultUses,
              created_by: creatorOf(request),
            })
            .execute(),
        { statusCode: 201, at: now },
      )
      const installCommand = `palisade agent enroll --server ${publicUrl(app, config)} --token ${token} --fingerprint ${fingerprint}`
      return reply.code(201).send({ token, expiresAt, fingerprint, installCommand })
    },
  )
}
