/**
 * Enforces, when each route is registered, that it says who may call it
 * and how its calls are audited (auth/access.ts), the way
 * http/route-schema-policy.ts enforces schemas: a route that forgets is a
 * startup failure, never an open door in production.
 *
 * - `config.access` always;
 * - `config.audit` unless every method is GET or HEAD (WebSocket routes are GET);
 * - an `org` rule only on a URL with an `:org` parameter (that is where the
 *   org comes from), and a `session` rule only on one without.
 */
import type { RouteOptions } from 'fastify'
import { PERMISSIONS, type Access, type AuditDecl } from './access.js'

const READ_METHODS = new Set(['GET', 'HEAD'])
const ACTION_RE = /^[a-z][a-z0-9-]*(?:\.[a-z][a-z0-9-]*)+$/
const KINDS = new Set(['public', 'session', 'org', 'device'])

/**
 * The access-declaration violations of a route (empty when it complies).
 *
 * @example
 * accessViolations({ method: 'POST', url: '/v1/orgs/:org/people', handler, config: {} })
 * // ['config.access is missing', 'config.audit is missing (required unless GET/HEAD)']
 */
export function accessViolations(route: RouteOptions): string[] {
  const methods = [route.method].flat().map((m) => m.toUpperCase())
  const config = (route.config ?? {}) as { access?: Access; audit?: AuditDecl }
  const out: string[] = []
  const access = config.access
  const hasOrg = /(?:^|\/):org(?:\/|$)/.test(route.url)
  if (access === undefined) out.push('config.access is missing')
  else if (!KINDS.has(access.kind)) out.push(`config.access.kind ${String(access.kind)} is unknown`)
  else if (access.kind === 'org') {
    if (!(PERMISSIONS as readonly string[]).includes(access.permission)) out.push(`config.access.permission ${String(access.permission)} is unknown`)
    if (!hasOrg) out.push('an org access rule needs :org in the URL')
  } else if (access.kind === 'session' && hasOrg) out.push('a URL with :org needs an org access rule')
  if (config.audit === undefined) {
    if (!methods.every((m) => READ_METHODS.has(m))) out.push('config.audit is missing (required unless GET/HEAD)')
  } else if (!ACTION_RE.test(config.audit.action)) {
    out.push(`config.audit.action ${JSON.stringify(config.audit.action)} must be dotted lower-case words, e.g. person.create`)
  }
  return out
}

/**
 * Fastify `onRoute` hook: throws when a route breaks the policy, which
 * fails `app.ready()` at startup.
 */
export function enforceAccessDeclaration(route: RouteOptions): void {
  const violations = accessViolations(route)
  if (violations.length > 0) {
    const methods = [route.method].flat().join(',')
    throw new Error(`route ${methods} ${route.url}: ${violations.join('; ')} (see auth/access-policy.ts)`)
  }
}
