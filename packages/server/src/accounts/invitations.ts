/**
 * Invitations of existing console accounts to an org (security review H2).
 *
 * An org never grants a role to an account it did not create: it leaves an
 * invitation for the account its admin named (username or email), and the
 * account holder accepts (or declines) it from their own session.
 *
 * The name is resolved to the account id AT INVITE TIME and only that id is
 * stored (in `identifier_key`, as `account:<id>`, see {@link accountKey}):
 * an invitation belongs to the account that held the name when it was
 * sent, never to whoever holds it later. Matching by name at read time let
 * a stranger create an account with an invited (unverified) email and
 * take the role (security re-review N2). When no account holds the name,
 * nothing is stored, but the answer is the same 202: the inviting org
 * learns nothing about which accounts exist, nor later (a decline is
 * audited in the decliner's own orgs only). Invitations expire after
 * {@link INVITATION_TTL_MS}; an org keeps at most
 * {@link MAX_PENDING_INVITATIONS} pending, checked before the name is
 * resolved so that the cap answers the same for every name.
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
 * Leaves an invitation in `org` for the account `identifier` (username or
 * email) names now, replacing a pending one to the same account; stores
 * nothing (same answer) when no account has that name. 409 SRV_DUPLICATE
 * when it names an admin already of `org` (the org sees its own admins
 * anyway).
 *
 * @example
 * const view = await invite(trx, 'acme', 'msp-bob', 'helpdesk', ownerId, now)
 */
export async function invite(db: Kysely<Database>, org: string, identifier: string, role: Role, createdBy: string, now: number): Promise<InvitationView> {
  const key = normaliseKey(identifier)
  const account = await db
    .selectFrom('admins as a')
    .leftJoin('admin_roles as r', (join) => join.onRef('r.admin_id', '=', 'a.id').on('r.org_id', '=', org))
    .select(['a.id', 'r.org_id'])
    .where(key.includes('@') ? 'a.email_key' : 'a.username_key', '=', key)
    .executeTakeFirst()
  if (account?.org_id != null) {
    throw new ServerError('SRV_DUPLICATE', 'this account is already an admin of this organisation; change its role with PATCH', {
      errors: [{ path: key.includes('@') ? '/body/email' : '/body/username', message: 'already an admin of this organisation' }],
    })
  }
  await db.deleteFrom('admin_invitations').where('org_id', '=', org).where('expires_at', '<=', now).execute()
  const pending = await db.selectFrom('admin_invitations').select((eb) => eb.fn.countAll<number>().as('n')).where('org_id', '=', org).executeTakeFirstOrThrow()
  if (Number(pending.n) >= MAX_PENDING_INVITATIONS) {
    throw new ServerError('SRV_CONFLICT', `this organisation has ${MAX_PENDING_INVITATIONS} pending invitations: wait for them to be answered or to expire`)
  }
  const row = { id: randomUUID(), org_id: org, identifier: identifier.normalize('NFC'), role, created_by: createdBy, created_at: now, expires_at: now + INVITATION_TTL_MS }
  if (account !== undefined) {
    // One statement, so two racing invitations of one account replace each other instead of hitting the unique index.
    const { org_id: _org, ...replacement } = row
    await db
      .insertInto('admin_invitations')
      .values({ ...row, identifier_key: accountKey(account.id) })
      .onConflict((oc) => oc.columns(['org_id', 'identifier_key']).doUpdateSet(replacement))
      .execute()
  }
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
 * The live invitations addressed to the account `adminId` (by its id, never
 * by its current username or email), oldest first, leaving out orgs it
 * already belongs to.
 *
 * @example
 * const invitations = await receivedInvitations(db, adminId, now)
 */
export async function receivedInvitations(db: Kysely<Database>, adminId: string, now: number, onlyId?: string): Promise<ReceivedInvitation[]> {
  let q = db
    .selectFrom('admin_invitations as i')
    .innerJoin('orgs as o', 'o.id', 'i.org_id')
    .select(['i.id', 'i.org_id', 'o.name', 'i.role', 'i.created_at', 'i.expires_at'])
    .where('i.identifier_key', '=', accountKey(adminId))
    .where('i.expires_at', '>', now)
    .where('i.org_id', 'not in', (eb) => eb.selectFrom('admin_roles').select('org_id').where('admin_id', '=', adminId))
  if (onlyId !== undefined) q = q.where('i.id', '=', onlyId)
  const rows = await q.orderBy('i.created_at').orderBy('i.id').limit(MAX_PENDING_INVITATIONS).execute()
  return rows.map((r) => Object.freeze({ id: r.id, org: { id: r.org_id, name: r.name }, role: r.role, createdAt: Number(r.created_at), expiresAt: Number(r.expires_at) }))
}

/**
 * What `identifier_key` holds for an invitation: the addressee's account
 * id, prefixed so that it can never equal a name key of a row written
 * before names were resolved at invite time (those match no one now and
 * expire).
 *
 * @example
 * accountKey('4f1c…') // 'account:4f1c…'
 */
export function accountKey(adminId: string): string {
  return `account:${adminId}`
}
