/**
 * Invitations of existing console accounts to an org (security review H2).
 *
 * An org never grants a role to an account it did not create: it leaves an
 * invitation addressed to the username or email its admin typed, and the
 * account holder accepts (or declines) it from their own session. The
 * inviting org gets the same answer whether or not an account of that name
 * exists, and learns nothing more until the invitation is accepted (a
 * decline is audited in the decliner's own orgs only). Invitations expire
 * after {@link INVITATION_TTL_MS}; an org keeps at most
 * {@link MAX_PENDING_INVITATIONS} pending.
 */
import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Role } from '../auth/access.js'
import type { Database } from '../db/schema.js'
import { normaliseKey } from '../directory/normalise-key.js'
import { ServerError } from '../errors.js'

/** How long an invitation stays acceptable. */
export const INVITATION_TTL_MS = 7 * 24 * 3_600_000
/** Pending invitations per org. */
export const MAX_PENDING_INVITATIONS = 1000

/** An invitation as the inviter sees it: only what they typed. */
export interface InvitationView {
  readonly id: string
  readonly identifier: string
  readonly role: string
  readonly expiresAt: number
}

/**
 * Leaves an invitation of `identifier` (username or email) in `org`,
 * replacing a pending one to the same identifier. 409 SRV_DUPLICATE when it
 * names an admin already of `org` (the org sees its own admins anyway).
 *
 * @example
 * const view = await invite(trx, 'acme', 'msp-bob', 'helpdesk', ownerId, now)
 */
export async function invite(db: Kysely<Database>, org: string, identifier: string, role: Role, createdBy: string, now: number): Promise<InvitationView> {
  const key = normaliseKey(identifier)
  const column = key.includes('@') ? 'a.email_key' : 'a.username_key'
  const member = await db
    .selectFrom('admins as a')
    .innerJoin('admin_roles as r', 'r.admin_id', 'a.id')
    .select('a.id')
    .where(column, '=', key)
    .where('r.org_id', '=', org)
    .executeTakeFirst()
  if (member !== undefined) {
    throw new ServerError('SRV_DUPLICATE', 'this account is already an admin of this organisation; change its role with PATCH', {
      errors: [{ path: key.includes('@') ? '/body/email' : '/body/username', message: 'already an admin of this organisation' }],
    })
  }
  await db.deleteFrom('admin_invitations').where('org_id', '=', org).where((eb) => eb.or([eb('identifier_key', '=', key), eb('expires_at', '<=', now)])).execute()
  const pending = await db.selectFrom('admin_invitations').select((eb) => eb.fn.countAll<number>().as('n')).where('org_id', '=', org).executeTakeFirstOrThrow()
  if (Number(pending.n) >= MAX_PENDING_INVITATIONS) {
    throw new ServerError('SRV_CONFLICT', `this organisation has ${MAX_PENDING_INVITATIONS} pending invitations: wait for them to be answered or to expire`)
  }
  const row = { id: randomUUID(), org_id: org, identifier: identifier.normalize('NFC'), identifier_key: key, role, created_by: createdBy, created_at: now, expires_at: now + INVITATION_TTL_MS }
  await db.insertInto('admin_invitations').values(row).execute()
  return Object.freeze({ id: row.id, identifier: row.identifier, role, expiresAt: row.expires_at })
}

/** A pending invitation as its addressee sees it. */
export interface ReceivedInvitation {
  readonly id: string
  readonly org: { readonly id: string; readonly name: string }
  readonly role: string
  readonly createdAt: number
  readonly expiresAt: number
}

/**
 * The live invitations addressed to `adminId` (by its username or email),
 * oldest first, leaving out orgs it already belongs to.
 *
 * @example
 * const invitations = await receivedInvitations(db, adminId, now)
 */
export async function receivedInvitations(db: Kysely<Database>, adminId: string, now: number, onlyId?: string): Promise<ReceivedInvitation[]> {
  const admin = await db.selectFrom('admins').select(['username_key', 'email_key']).where('id', '=', adminId).executeTakeFirst()
  if (admin === undefined) return []
  let q = db
    .selectFrom('admin_invitations as i')
    .innerJoin('orgs as o', 'o.id', 'i.org_id')
    .select(['i.id', 'i.org_id', 'o.name', 'i.role', 'i.created_at', 'i.expires_at'])
    .where('i.identifier_key', 'in', [admin.username_key, admin.email_key])
    .where('i.expires_at', '>', now)
    .where('i.org_id', 'not in', (eb) => eb.selectFrom('admin_roles').select('org_id').where('admin_id', '=', adminId))
  if (onlyId !== undefined) q = q.where('i.id', '=', onlyId)
  const rows = await q.orderBy('i.created_at').orderBy('i.id').limit(MAX_PENDING_INVITATIONS).execute()
  return rows.map((r) => Object.freeze({ id: r.id, org: { id: r.org_id, name: r.name }, role: r.role, createdAt: Number(r.created_at), expiresAt: Number(r.expires_at) }))
}
