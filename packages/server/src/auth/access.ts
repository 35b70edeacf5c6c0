/**
 * Who may call a route, declared beside the route and checked in one place.
 *
 * Every route states its access in its options, next to its schema:
 *
 *     app.post('/v1/orgs/:org/people', {
 *       config: { access: orgAccess('directory:write'), audit: { action: 'person.create', target: 'person' } },
 *       schema: { … },
 *     }, handler)
 *
 * and auth/access-hook.ts refuses to start a server with a route that does
 * not (the same way http/route-schema-policy.ts refuses a route without a
 * schema), resolves the caller once per request (session cookie, API key or
 * device), and answers 401/403/404 before the handler runs. Handlers never
 * check roles or scopes themselves.
 *
 * The whole authorization policy is the two tables below: which permissions
 * each console role and each API-key scope grants. Isolation between orgs is
 * not a permission: a caller with no role in (or key for) the org in the URL
 * gets 404, exactly as for an org that does not exist.
 */

/** Console roles, strongest first. */
export const ROLES = ['owner', 'admin', 'helpdesk', 'read-only'] as const
export type Role = (typeof ROLES)[number]

/** API-key scopes. */
export const SCOPES = ['read', 'devices', 'commands', 'directory', 'admin'] as const
export type Scope = (typeof SCOPES)[number]

/** What a route needs within an org. */
export const PERMISSIONS = [
  /** Read anything of the org: devices, commands, log, alerts, directory. */
  'read',
  /** Read the audit trail. */
  'audit:read',
  /** Enrollment tokens, device edits (bind to a person, remove). */
  'devices:write',
  /** Draft a command (nothing runs without the admins' signatures). */
  'commands:draft',
  /** Upload admin signatures for a command; root rotations; log publish. */
  'commands:sign',
  /** People, groups, memberships. */
  'directory:write',
  /** Acknowledge alerts. */
  'alerts:write',
  /** API keys of the org, sessions of other admins, admins' roles, org settings, incident actions. */
  'org:admin',
] as const
export type Permission = (typeof PERMISSIONS)[number]

const ALL: readonly Permission[] = PERMISSIONS

/** What each console role may do in an org where it holds that role. */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = Object.freeze({
  owner: ALL,
  admin: ['read', 'audit:read', 'devices:write', 'commands:draft', 'commands:sign', 'directory:write', 'alerts:write'],
  helpdesk: ['read', 'commands:draft'],
  'read-only': ['read'],
})

/** What each API-key scope grants; a key's permissions are the union over its scopes. */
export const SCOPE_PERMISSIONS: Readonly<Record<Scope, readonly Permission[]>> = Object.freeze({
  read: ['read'],
  devices: ['read', 'devices:write'],
  commands: ['read', 'commands:draft', 'commands:sign'],
  directory: ['read', 'directory:write'],
  admin: ALL,
})

/**
 * A route's access rule:
 * - `public`: no credentials (health, setup with its code, enrollment with
 *   its token, login); such routes authenticate their own way or not at all;
 * - `session`: any signed-in console admin, no org in the URL (who am I,
 *   my sessions, my MFA); API keys are refused;
 * - `org`: `/v1/orgs/:org/…`: a session whose admin holds a role granting
 *   `permission` in `:org`, or an API key of `:org` whose scopes grant it;
 * - `device`: an enrolled device (the agent gateway authenticates on the socket).
 */
export type Access =
  | { readonly kind: 'public' }
  | { readonly kind: 'session'; readonly mfaOptional?: boolean }
  | { readonly kind: 'org'; readonly permission: Permission }
  | { readonly kind: 'device' }

export const PUBLIC: Access = Object.freeze({ kind: 'public' })
export const SESSION: Access = Object.freeze({ kind: 'session' })
export const DEVICE: Access = Object.freeze({ kind: 'device' })
/** A session route that a session may call before it passed MFA (who am I, finish MFA). */
export const SESSION_MFA_OPTIONAL: Access = Object.freeze({ kind: 'session', mfaOptional: true })

/** The access rule of an org route needing `permission`. */
export function orgAccess(permission: Permission): Access {
  return Object.freeze({ kind: 'org', permission })
}

/**
 * How a mutation is audited (required on every route that is not GET/HEAD):
 * the dotted action name, and the kind of object it acts on; the target id
 * is taken from `request.auditTarget` if the handler set it, else from the
 * `:id` URL parameter.
 */
export interface AuditDecl {
  readonly action: string
  readonly target?: string
}

/** Who made a request, once the access hook accepted it. */
export type Principal =
  | { readonly kind: 'anonymous' }
  | {
      readonly kind: 'admin'
      readonly adminId: string
      readonly username: string
      readonly sessionId: string
      /** True when the session passed MFA. */
      readonly mfa: boolean
      /** The org of the URL when the admin holds a role there (org routes only), else null. */
      readonly orgId: string | null
      /** The admin's role in that org, else null. */
      readonly role: Role | null
    }
  | { readonly kind: 'api-key'; readonly apiKeyId: string; readonly name: string; readonly orgId: string; readonly scopes: readonly Scope[] }
  | { readonly kind: 'device'; readonly deviceId: string; readonly orgId: string }

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Who is calling, set by auth/access-hook.ts before anything else runs:
     * `anonymous` on public and device routes; on org routes, a principal
     * whose `orgId` is the org of the URL (use auth/request-principal.ts `orgOf`).
     */
    principal: Principal
  }
  interface FastifyContextConfig {
    /** Who may call this route (required on every route; auth/access-hook.ts). */
    access?: Access
    /** How this route's calls are audited (required unless GET/HEAD). */
    audit?: AuditDecl
  }
}

/** True when `role` grants `permission`. */
export function roleGrants(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission)
}

/** True when any of `scopes` grants `permission`. */
export function scopesGrant(scopes: readonly Scope[], permission: Permission): boolean {
  return scopes.some((s) => SCOPE_PERMISSIONS[s].includes(permission))
}
