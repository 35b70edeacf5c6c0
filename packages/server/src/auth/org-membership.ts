/**
 * An admin's role in one org and whether that org requires MFA: the one
 * query behind both the access hook (access-hook.ts) and the live event
 * stream's re-check (events/stream-credential.ts), so the two cannot drift.
 */
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { ROLES, type Role } from './access.js'

/** The admin's standing in one org. */
export interface OrgMembership {
  /** The admin's role, or null for a role name this server does not know (a newer server wrote it): it grants nothing. */
  readonly role: Role | null
  /** True when the org requires MFA (orgs.require_mfa = 1). */
  readonly requireMfa: boolean
}

/**
 * The membership of `adminId` in `orgId`, or undefined when the admin has no
 * role there (or the org does not exist).
 *
 * @example
 * const m = await orgMembership(db, session.adminId, 'acme') // { role: 'operator', requireMfa: false }
 */
export async function orgMembership(db: Kysely<Database>, adminId: string, orgId: string): Promise<OrgMembership | undefined> {
  const row = await db
    .selectFrom('admin_roles as r')
    .innerJoin('orgs as o', 'o.id', 'r.org_id')
    .select(['r.role', 'o.require_mfa'])
    .where('r.admin_id', '=', adminId)
    .where('r.org_id', '=', orgId)
    .executeTakeFirst()
  if (row === undefined) return undefined
  const role = (ROLES as readonly string[]).includes(row.role) ? (row.role as Role) : null
  return { role, requireMfa: Number(row.require_mfa) === 1 }
}
