/**
 * The one authorization check of the server: an `onRequest` hook that runs
 * before the body is read, on every route, and either sets
 * `request.principal` or refuses the request. The rule is the route's own
 * `config.access` (auth/access.ts); handlers never check roles or scopes.
 *
 * Outcomes (WIRE.md "Access"), in this order:
 * - `public` and `device` routes: credentials are ignored (setup, enroll and
 *   the agent gateway authenticate their own way); principal `anonymous`;
 * - both a session cookie and an Authorization header → 400
 *   SRV_AMBIGUOUS_CREDENTIALS;
 * - no credential, or one that is unknown, malformed, expired, revoked, idle
 *   or of a disabled admin → 401 SRV_UNAUTHENTICATED, one message for all;
 * - a valid API key on a `session` route → 403 SRV_FORBIDDEN;
 * - a session, on any route but GET/HEAD, without its CSRF token → 403 SRV_CSRF;
 * - a session that has not passed MFA, on any route but a `session` route
 *   marked `mfaOptional` → 403 SRV_MFA_REQUIRED;
 * - an `org` route whose `:org` the caller has no role in (or whose key is
 *   of another org), including an org that does not exist → 404
 *   SRV_NOT_FOUND "no such organisation": isolation hides existence (A5);
 * - a session in an org that requires MFA, without MFA → 403 SRV_MFA_REQUIRED;
 * - a caller of the org without the permission → 403 SRV_FORBIDDEN naming it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { ServerError } from '../errors.js'
import { roleGrants, scopesGrant, type Access, type Permission, type Principal, type Role } from './access.js'
import { enforceAccessDeclaration } from './access-policy.js'
import { orgMembership } from './org-membership.js'
import { presentedCredential } from './presented-credentials.js'
import { resolveApiKey } from './resolve-api-key.js'
import { resolveSession, type ResolvedSession } from './resolve-session.js'
import { CSRF_HEADER, SESSION_POLICY, type SessionPolicy } from './session-policy.js'
import { tokenMatches } from './session-token.js'

/** The principal of a request no credential was checked for. */
export const ANONYMOUS: Principal = Object.freeze({ kind: 'anonymous' })

const CHALLENGE = 'Bearer realm="palisade"'
const INVALID_CHALLENGE = `${CHALLENGE}, error="invalid_token"`
const UNAUTHENTICATED = 'valid credentials are required: a console session, or an API key of this organisation (Authorization: Bearer pal_…)'
const NO_SUCH_ORG = 'no such organisation'
const READ_METHODS = new Set(['GET', 'HEAD'])

const denied = new WeakSet<FastifyRequest>()

/**
 * The header on every answer of the access check itself (401/403/404 and
 * 400 SRV_AMBIGUOUS_CREDENTIALS): `x-palisade-refused-by: access`. It says
 * only who refused (a handler's own 404 "no such person" has none), which
 * the body already tells, so tests and clients can tell them apart.
 */
export const REFUSED_BY_HEADER = 'x-palisade-refused-by'

/**
 * True when the access hook refused `request` (its 401/403/404 came from
 * the access check, not from the handler): audit records it as `denied`.
 */
export function deniedByAccess(request: FastifyRequest): boolean {
  return denied.has(request)
}

/** Options of {@link installAccess}. */
export interface AccessOptions {
  /** Milliseconds since the epoch (default Date.now). */
  readonly now?: () => number
  /** Session lifetimes (default SESSION_POLICY). */
  readonly sessionPolicy?: SessionPolicy
}

/**
 * Installs the registration check and the per-request check on the root
 * instance; call before registering routes (buildApp does).
 *
 * @example
 * installAccess(app, db)
 * app.get('/v1/orgs/:org/devices', { config: { access: orgAccess('read') }, schema }, handler)
 */
export function installAccess(app: FastifyInstance, db: Kysely<Database>, options: AccessOptions = {}): void {
  const now = options.now ?? Date.now
  const policy = options.sessionPolicy ?? SESSION_POLICY
  app.decorateRequest('principal', null as never)
  app.addHook('onRoute', enforceAccessDeclaration)
  app.addHook('onRequest', async (request, reply) => {
    request.principal = ANONYMOUS
    // Undefined only for the not-found handler: every route declares one.
    const access = request.routeOptions.config.access
    if (access === undefined || access.kind === 'public' || access.kind === 'device') return
    try {
      request.principal = await authorize(db, request, access, now(), policy)
    } catch (e) {
      denied.add(request)
      reply.header(REFUSED_BY_HEADER, 'access')
      throw e
    }
  })
}

async function authorize(db: Kysely<Database>, request: FastifyRequest, access: Access, t: number, policy: SessionPolicy): Promise<Principal> {
  const presented = presentedCredential(request.headers)
  switch (presented.kind) {
    case 'none':
      throw unauthenticated(CHALLENGE)
    case 'ambiguous':
      throw new ServerError('SRV_AMBIGUOUS_CREDENTIALS', 'send either a session cookie or an Authorization header, not both')
    case 'api-key': {
      const key = await resolveApiKey(db, presented.key, t, request.ip)
      if (key === undefined) throw unauthenticated(INVALID_CHALLENGE)
      const principal: Principal = Object.freeze({ kind: 'api-key', apiKeyId: key.id, name: key.name, orgId: key.orgId, scopes: key.scopes })
      if (access.kind === 'session') {
        request.principal = principal
        throw new ServerError('SRV_FORBIDDEN', 'this route needs a console session; API keys cannot call it')
      }
      if (access.kind !== 'org') return principal
      if (orgParam(request) !== key.orgId) {
        request.principal = principal
        throw new ServerError('SRV_NOT_FOUND', NO_SUCH_ORG)
      }
      request.principal = principal
      if (!scopesGrant(key.scopes, access.permission)) throw forbidden(access.permission)
      return principal
    }
    case 'session': {
      const session = await resolveSession(db, presented.token, t, policy)
      if (session === undefined) throw unauthenticated(CHALLENGE)
      request.principal = adminPrincipal(session, null, null)
      if (!READ_METHODS.has(request.method)) {
        const csrf = request.headers[CSRF_HEADER]
        if (typeof csrf !== 'string' || !tokenMatches(csrf, session.csrfHash)) {
          throw new ServerError('SRV_CSRF', `this request needs the session's CSRF token in the ${CSRF_HEADER} header`)
        }
      }
      const mfaOptional = access.kind === 'session' && access.mfaOptional === true
      if (!session.mfa && !mfaOptional) throw new ServerError('SRV_MFA_REQUIRED', 'finish signing in with your second factor first')
      if (access.kind !== 'org') return request.principal
      return orgSession(db, request, session, access.permission)
    }
  }
}

async function orgSession(db: Kysely<Database>, request: FastifyRequest, session: ResolvedSession, permission: Permission): Promise<Principal> {
  const org = orgParam(request)
  const membership = org === undefined ? undefined : await orgMembership(db, session.adminId, org)
  if (org === undefined || membership === undefined) throw new ServerError('SRV_NOT_FOUND', NO_SUCH_ORG)
  const { role } = membership
  const principal = adminPrincipal(session, org, role)
  request.principal = principal
  // mfa = 1 also marks a session of an admin without TOTP; an org that
  // requires MFA wants a second factor that exists.
  if (membership.requireMfa && !(session.mfa && session.totpEnabled)) {
    throw new ServerError('SRV_MFA_REQUIRED', 'this organisation requires multi-factor authentication: enable TOTP and sign in again')
  }
  if (role === null || !roleGrants(role, permission)) throw forbidden(permission)
  return principal
}

function adminPrincipal(session: ResolvedSession, orgId: string | null, role: Role | null): Principal {
  return Object.freeze({
    kind: 'admin',
    adminId: session.adminId,
    username: session.username,
    sessionId: session.id,
    mfa: session.mfa,
    orgId,
    role,
  })
}

/** The raw `:org` of the URL (validated by the route schema later; here it is only compared). */
function orgParam(request: FastifyRequest): string | undefined {
  const org = (request.params as Record<string, unknown> | undefined)?.['org']
  return typeof org === 'string' ? org : undefined
}

function unauthenticated(challenge: string): ServerError<'SRV_UNAUTHENTICATED'> {
  return new ServerError('SRV_UNAUTHENTICATED', UNAUTHENTICATED, { headers: { 'www-authenticate': challenge } })
}

function forbidden(permission: Permission): ServerError<'SRV_FORBIDDEN'> {
  return new ServerError('SRV_FORBIDDEN', `this action needs the ${permission} permission in this organisation`)
}
