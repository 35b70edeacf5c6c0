/**
 * POST /v1/auth/login and POST /v1/auth/logout (WIRE.md "Console accounts").
 *
 * Login is public: the body carries the credentials (bodies are never
 * logged). Each attempt passes the per-address rate limit first, then
 * login.ts decides, then every attempt is audited (audit-login.ts) before
 * the answer leaves (a success in the transaction that opens the session).
 * When an org of the admin requires MFA and the admin has no TOTP, the
 * answer lists those orgs as `mfaEnrolmentRequiredBy`: the session may
 * only enrol TOTP until it confirms a first code. A success sets the session cookie and returns the CSRF
 * token, which the console keeps in memory and sends as `x-csrf-token`.
 */
import { PUBLIC, SESSION_MFA_OPTIONAL } from '../auth/access.js'
import { withAuditedTransaction } from '../audit/audited-transaction.js'
import { ServerError } from '../errors.js'
import { NO_QUERY, objectSchema } from '../http/schemas.js'
import type { FastifyInstance } from 'fastify'
import { sessionAdminOf, type AccountsDeps } from './accounts-deps.js'
import { ADMIN_VIEW_SCHEMA, adminView } from './admin-view.js'
import { auditLogin } from './audit-login.js'
import { attemptLogin } from './login.js'
import { clearedSessionCookie, sessionCookie } from './session-cookie.js'
import { RECOVERY_CODE_RE } from './recovery-codes.js'

const LOGIN_BODY = objectSchema({
  username: { type: 'string', minLength: 1, maxLength: 254, description: 'username or email address' },
  email: { type: 'string', minLength: 1, maxLength: 254 },
  password: { type: 'string', minLength: 1, maxLength: 1024 },
  totp: { type: 'string', pattern: '^[0-9]{6}$' },
  recoveryCode: { type: 'string', pattern: RECOVERY_CODE_RE.source },
}, ['password'])

const LOGIN_ANSWER = objectSchema(
  {
    admin: ADMIN_VIEW_SCHEMA,
    csrfToken: { type: 'string' },
    mfa: { type: 'boolean' },
    expiresAt: { type: 'integer' },
    idleTimeoutSeconds: { type: 'integer' },
    mfaEnrolmentRequiredBy: { type: 'array', items: { type: 'string' } },
  },
  ['admin', 'csrfToken', 'mfa', 'expiresAt', 'idleTimeoutSeconds'],
)

interface LoginBody {
  readonly username?: string
  readonly email?: string
  readonly password: string
  readonly totp?: string
  readonly recoveryCode?: string
}

/** Registers the login and logout routes. */
export function loginRoutes(app: FastifyInstance, deps: AccountsDeps): void {
  const { db, limiter, policy } = deps

  app.post(
    '/v1/auth/login',
    {
      config: { access: PUBLIC, audit: { action: 'session.login', target: 'admin' } },
      schema: { querystring: NO_QUERY, body: LOGIN_BODY, response: { 200: LOGIN_ANSWER } },
    },
    async (request, reply) => {
      const body = request.body as LoginBody
      const identifier = body.username ?? body.email
      if (identifier === undefined || (body.username !== undefined && body.email !== undefined)) {
        throw new ServerError('SRV_VALIDATION', 'send exactly one of username and email', {
          errors: [{ path: '/body/username', message: 'exactly one of username and email is required' }],
        })
      }
      if (body.totp !== undefined && body.recoveryCode !== undefined) {
        throw new ServerError('SRV_VALIDATION', 'send a TOTP code or a recovery code, not both', {
          errors: [{ path: '/body/recoveryCode', message: 'must not be sent together with totp' }],
        })
      }
      const decision = limiter.hit(request.ip, deps.now())
      if (!decision.allowed) {
        await auditLogin(db, request, {
          action: 'session.login', admin: undefined, presented: identifier, result: 'failure', statusCode: 429,
          details: { reason: 'rate-limited' }, at: deps.now(),
        })
        throw new ServerError('SRV_RATE_LIMITED', 'too many sign-in attempts from this address; retry later', {
          headers: { 'retry-after': String(decision.retryAfterSeconds) },
        })
      }

      const input = {
        identifier,
        password: body.password,
        totp: body.totp,
        recoveryCode: body.recoveryCode,
        sourceAddr: request.ip,
        userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : null,
      }
      // The success events are written in the transaction that opens the session.
      const outcome = await attemptLogin(deps, input, (trx, ok) =>
        auditLogin(trx, request, {
          action: 'session.login', admin: { id: ok.admin.id, username: ok.admin.username }, presented: identifier, result: 'success', statusCode: 200,
          details: { reason: 'ok', secondFactor: ok.secondFactor, sessionId: ok.sessionId, ...(ok.mfaRequiredBy.length > 0 ? { mfaEnrolmentRequired: true } : {}) },
          at: deps.now(),
        }),
      )
      const admin = outcome.admin === undefined ? undefined : { id: outcome.admin.id, username: outcome.admin.username }
      if (!outcome.ok) {
        await auditLogin(db, request, {
          action: 'session.login', admin, presented: identifier, result: 'failure', statusCode: outcome.error.status,
          details: { reason: outcome.reason, ...(outcome.locked ? { locked: true } : {}) }, at: deps.now(),
        })
        throw outcome.error
      }
      reply.header('set-cookie', sessionCookie(outcome.session.token, policy.absoluteTimeoutMs / 1000))
      return {
        admin: adminView(outcome.admin),
        csrfToken: outcome.session.csrfToken,
        mfa: outcome.secondFactor !== 'none',
        expiresAt: outcome.session.expiresAt,
        idleTimeoutSeconds: Math.floor(policy.idleTimeoutMs / 1000),
        ...(outcome.mfaRequiredBy.length > 0 ? { mfaEnrolmentRequiredBy: outcome.mfaRequiredBy } : {}),
      }
    },
  )

  app.post(
    '/v1/auth/logout',
    {
      config: { access: SESSION_MFA_OPTIONAL, audit: { action: 'session.logout', target: 'session' } },
      schema: { querystring: NO_QUERY, body: objectSchema({}), response: { 200: objectSchema({}) } },
    },
    async (request, reply) => {
      const { sessionId } = sessionAdminOf(request)
      request.auditTarget = sessionId
      const t = deps.now()
      await withAuditedTransaction(db, request, (trx) => trx.updateTable('sessions').set({ revoked_at: t }).where('id', '=', sessionId).where('revoked_at', 'is', null).execute(), { at: t })
      reply.header('set-cookie', clearedSessionCookie())
      return {}
    },
  )
}
