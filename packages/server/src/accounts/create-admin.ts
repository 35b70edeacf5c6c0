/**
 * Creates console accounts (admins rows) and grants roles (admin_roles).
 * Uniqueness of usernames and emails is judged by the unique indexes on
 * their normalised keys: a pre-check gives a clean answer in the common
 * case, and a race past it is still reported by field, as 409 SRV_DUPLICATE.
 */
import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Role } from '../auth/access.js'
import type { Database } from '../db/schema.js'
import { normaliseKey } from '../directory/normalise-key.js'
import { uniqueViolationColumns } from '../directory/unique-violation.js'
import { ServerError } from '../errors.js'

/** A new account with its password already hashed. */
export interface AdminRecord {
  readonly username: string
  readonly email: string
  readonly name: string
  readonly passwordHash: string
}

const FIELDS: Readonly<Record<string, 'username' | 'email'>> = { username_key: 'username', email_key: 'email' }

/**
 * Inserts an account (status active, no MFA) and returns its id. `base` is
 * the JSON pointer of the fields for a duplicate's error path.
 *
 * @example
 * const id = await insertAdmin(trx, { username, email, name, passwordHash }, now, '/body')
 */
export async function insertAdmin(db: Kysely<Database>, admin: AdminRecord, now: number, base: string): Promise<string> {
  const usernameKey = normaliseKey(admin.username)
  const emailKey = normaliseKey(admin.email)
  const taken = await db
    .selectFrom('admins')
    .select(['username_key', 'email_key'])
    .where((eb) => eb.or([eb('username_key', '=', usernameKey), eb('email_key', '=', emailKey)]))
    .executeTakeFirst()
  if (taken !== undefined) throw duplicate(taken.username_key === usernameKey ? 'username' : 'email', base)
  const id = randomUUID()
  try {
    await db
      .insertInto('admins')
      .values({
        id,
        username: admin.username,
        username_key: usernameKey,
        email: admin.email.normalize('NFC'),
        email_key: emailKey,
        name: admin.name.normalize('NFC'),
        password_hash: admin.passwordHash,
        totp_secret: null,
        totp_enabled_at: null,
        totp_last_step: null,
        status: 'active',
        failed_logins: 0,
        locked_until: null,
        password_changed_at: now,
        created_at: now,
        updated_at: now,
        version: 1,
      })
      .execute()
  } catch (e) {
    const column = uniqueViolationColumns(e)?.find((c) => FIELDS[c] !== undefined)
    if (column === undefined) throw e
    throw duplicate(FIELDS[column]!, base, e)
  }
  return id
}

/**
 * Grants `role` in `orgId` to `adminId` (insert; 409 SRV_DUPLICATE when the
 * admin already holds a role there).
 *
 * @example
 * await grantRole(trx, adminId, 'acme', 'owner', now)
 */
export async function grantRole(db: Kysely<Database>, adminId: string, orgId: string, role: Role, now: number): Promise<void> {
  try {
    await db.insertInto('admin_roles').values({ admin_id: adminId, org_id: orgId, role, created_at: now }).execute()
  } catch (e) {
    if (uniqueViolationColumns(e) === undefined) throw e
    throw new ServerError('SRV_DUPLICATE', 'this account already holds a role in this organisation; change it with PATCH', {
      cause: e,
      errors: [{ path: '/body/username', message: 'already an admin of this organisation' }],
    })
  }
}

function duplicate(field: 'username' | 'email', base: string, cause?: unknown): ServerError<'SRV_DUPLICATE'> {
  return new ServerError('SRV_DUPLICATE', `another account already has this ${field}`, {
    ...(cause === undefined ? {} : { cause }),
    errors: [{ path: `${base}/${field}`, message: 'is already used by another account (compared ignoring case)' }],
  })
}
