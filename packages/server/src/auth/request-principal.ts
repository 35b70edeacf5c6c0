/**
 * What handlers read of the caller the access hook accepted: the org of an
 * org route, and who acted (for created_by columns and audit events).
 */
import type { FastifyRequest } from 'fastify'
import { ServerError } from '../errors.js'
import type { Principal } from './access.js'

/**
 * The org an `org` route acts in: `:org`, as authorised for this caller.
 * Throws (500) when called on a route that is not an org route: a wiring
 * bug, never the caller's fault.
 *
 * @example
 * app.get('/v1/orgs/:org/devices', { config: { access: orgAccess('read') }, … }, async (request) => {
 *   const org = orgOf(request)
 * })
 */
export function orgOf(request: FastifyRequest): string {
  const p = request.principal
  const org = p.kind === 'admin' ? p.orgId : p.kind === 'api-key' ? p.orgId : null
  if (org === null) throw new ServerError('SRV_INTERNAL', `orgOf called on ${request.routeOptions.url ?? 'a route'} without an org principal`)
  return org
}

/** Who acted, as audit events and created_by columns record it. */
export interface Actor {
  readonly type: 'admin' | 'api-key' | 'device' | 'anonymous'
  readonly id: string | null
  /** Username or key name at the time. */
  readonly name: string | null
}

/**
 * The actor of a principal.
 *
 * @example
 * actorOf(request.principal) // { type: 'api-key', id: 'c0ffee…', name: 'ci' }
 */
export function actorOf(principal: Principal): Actor {
  switch (principal.kind) {
    case 'admin':
      return { type: 'admin', id: principal.adminId, name: principal.username }
    case 'api-key':
      return { type: 'api-key', id: principal.apiKeyId, name: principal.name }
    case 'device':
      return { type: 'device', id: principal.deviceId, name: null }
    case 'anonymous':
      return { type: 'anonymous', id: null, name: null }
  }
}

/**
 * The id to store in a created_by column: the admin or API key that acted.
 *
 * @example
 * created_by: creatorOf(request) // admin id or API key id
 */
export function creatorOf(request: FastifyRequest): string {
  const { id } = actorOf(request.principal)
  if (id === null) throw new ServerError('SRV_INTERNAL', 'creatorOf called without an authenticated principal')
  return id
}

/**
 * The org a principal belongs to for this request, or null: the org of the
 * URL when the caller was accepted there (even if then refused a
 * permission), else null. Audit uses it so that a refused call never lands
 * in the trail of an org the caller is not part of.
 *
 * @example
 * memberOrg(request.principal, 'acme') // 'acme' for an acme key, null for a globex key
 */
export function memberOrg(principal: Principal, urlOrg: string | undefined): string | null {
  if (urlOrg === undefined) return null
  if (principal.kind === 'admin') return principal.orgId === urlOrg ? urlOrg : null
  if (principal.kind === 'api-key') return principal.orgId === urlOrg ? urlOrg : null
  return null
}
