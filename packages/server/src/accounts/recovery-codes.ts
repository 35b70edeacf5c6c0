/**
 * MFA recovery codes: ten one-time codes shown once when MFA is enabled
 * (or regenerated), each usable instead of a TOTP code exactly once.
 *
 * A code is 50 random bits in base32, as two groups of five
 * (`abcde-fghij`), easy to read aloud and type. The server stores the hex
 * SHA-256 of the normalised code only (recovery_codes.code_hash): with 50
 * bits per code and the login rate limit and lockout, a fast hash leaves
 * nothing practical to brute-force, and a stolen database yields no code.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { base32 } from '../auth/base32.js'

/** How many codes a set holds. */
export const RECOVERY_CODE_COUNT = 10

/** The shape of a code as typed: two groups of five base32 letters (any case, dash optional). */
export const RECOVERY_CODE_RE = /^[A-Za-z2-7]{5}-?[A-Za-z2-7]{5}$/

/**
 * A fresh code, e.g. `k3j5x-2abq7`.
 *
 * @example
 * newRecoveryCode() // 'k3j5x-2abq7'
 */
export function newRecoveryCode(): string {
  const text = base32(randomBytes(7)).slice(0, 10).toLowerCase()
  return `${text.slice(0, 5)}-${text.slice(5)}`
}

/**
 * The stored form of a code: hex SHA-256 of its lower-case text with the
 * dash; undefined when `code` does not have the shape of one.
 *
 * @example
 * recoveryCodeHash('K3J5X2ABQ7') === recoveryCodeHash('k3j5x-2abq7') // true
 */
export function recoveryCodeHash(code: string): string | undefined {
  if (!RECOVERY_CODE_RE.test(code)) return undefined
  const plain = code.replace('-', '').toLowerCase()
  return createHash('sha256').update(`${plain.slice(0, 5)}-${plain.slice(5)}`, 'utf8').digest('hex')
}

/**
 * Replaces the admin's codes with a fresh set (in `db`, which may be a
 * transaction) and returns the codes: the only time they exist in clear.
 *
 * @example
 * const codes = await replaceRecoveryCodes(trx, adminId, now)
 */
export async function replaceRecoveryCodes(db: Kysely<Database>, adminId: string, now: number): Promise<string[]> {
  await db.deleteFrom('recovery_codes').where('admin_id', '=', adminId).execute()
  const codes = new Set<string>()
  while (codes.size < RECOVERY_CODE_COUNT) codes.add(newRecoveryCode())
  await db
    .insertInto('recovery_codes')
    .values([...codes].map((c) => ({ admin_id: adminId, code_hash: recoveryCodeHash(c)!, created_at: now, used_at: null })))
    .execute()
  return [...codes]
}

/**
 * Uses up one unused code of the admin; false when `code` is not one of
 * them or was used. The conditional update makes two concurrent uses of
 * the same code succeed at most once.
 *
 * @example
 * if (!(await useRecoveryCode(db, adminId, body.recoveryCode, now))) throw mfaInvalid()
 */
export async function useRecoveryCode(db: Kysely<Database>, adminId: string, code: string, now: number): Promise<boolean> {
  const hash = recoveryCodeHash(code)
  if (hash === undefined) return false
  const result = await db
    .updateTable('recovery_codes')
    .set({ used_at: now })
    .where('admin_id', '=', adminId)
    .where('code_hash', '=', hash)
    .where('used_at', 'is', null)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}
