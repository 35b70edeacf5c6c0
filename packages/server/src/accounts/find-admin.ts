/**
 * Looks up a console account by what a person types to sign in: their
 * username or their email address, compared case- and
 * composition-insensitively (normalise-key.ts). Usernames cannot contain
 * `@`, so the two never collide.
 */
import type { Kysely } from 'kysely'
import type { Database, Row } from '../db/schema.js'
import { normaliseKey } from '../directory/normalise-key.js'

/**
 * The admin whose username or email is `identifier`, or undefined.
 *
 * @example
 * const admin = await findAdmin(db, 'Alice@Example.com')
 */
export async function findAdmin(db: Kysely<Database>, identifier: string): Promise<Row<'admins'> | undefined> {
  const key = normaliseKey(identifier)
  const column = key.includes('@') ? 'email_key' : 'username_key'
  return db.selectFrom('admins').selectAll().where(column, '=', key).executeTakeFirst()
}

/**
 * The orgs where `adminId` holds a role, sorted.
 *
 * @example
 * await adminOrgs(db, adminId) // ['acme', 'globex']
 */
export async function adminOrgs(db: Kysely<Database>, adminId: string): Promise<string[]> {
  const rows = await db.selectFrom('admin_roles').select('org_id').where('admin_id', '=', adminId).orderBy('org_id').execute()
  return rows.map((r) => r.org_id)
}

/**
 * The orgs of `adminId` that require MFA, sorted.
 *
 * @example
 * await orgsRequiringMfa(db, adminId) // ['acme']
 */
export async function orgsRequiringMfa(db: Kysely<Database>, adminId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('admin_roles as r')
    .innerJoin('orgs as o', 'o.id', 'r.org_id')
    .select('o.id')
    .where('r.admin_id', '=', adminId)
    .where('o.require_mfa', '=', 1)
    .orderBy('o.id')
    .execute()
  return rows.map((r) => r.id)
}
