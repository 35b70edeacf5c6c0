/**
 * Taking a password attempt before checking it (lockout.ts has the rules).
 *
 * An attempt is counted BEFORE the slow argon2id verification, by one
 * UPDATE that increments `failed_logins` only while the account is not
 * locked and, when the new count is a multiple of the threshold, sets the
 * lock in the same statement. The database serialises that row (a row lock
 * on PostgreSQL, the single writer on SQLite), so of any number of
 * concurrent guesses at most `threshold` per lock window are ever verified:
 * the rest find the account locked and are never checked.
 *
 * While locked, attempts are still counted (they make the next lock longer)
 * and the password is not checked at all, so a locked account answers every
 * password the same. Only a success resets the count (login, or a correct
 * re-authentication with every factor it asked for). Nothing gives an
 * attempt back, not even a right password sent without its second factor:
 * a give-back racing a wrong code could lift the lock that code set, and
 * let codes be guessed without limit (security re-review N1).
 */
import { sql, type Kysely, type RawBuilder } from 'kysely'
import type { Database } from '../db/schema.js'
import { LOCKOUT, lockedUntilAfter } from './lockout.js'

/** What {@link takeLoginAttempt} found. */
export type AttemptSlot =
  /** Counted; verify the password now. `locks`: this attempt locked the account (its failure is the threshold-th). */
  | { readonly taken: true; readonly locks: boolean }
  /** The account is locked: counted, but do not verify anything. */
  | { readonly taken: false }

/**
 * Counts one attempt of `adminId` at `now`, before it is verified.
 *
 * @example
 * const slot = await takeLoginAttempt(db, admin.id, now)
 * if (!slot.taken) return sameAnswerAsAWrongPassword()
 */
export async function takeLoginAttempt(db: Kysely<Database>, adminId: string, now: number): Promise<AttemptSlot> {
  const row = await db
    .updateTable('admins')
    .set((eb) => ({
      failed_logins: eb('failed_logins', '+', 1),
      locked_until: sql<number | null>`case when (failed_logins + 1) % ${sql.lit(LOCKOUT.threshold)} = 0 then ${lockEnd(now)} else locked_until end`,
    }))
    .where('id', '=', adminId)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
    .returning('failed_logins')
    .executeTakeFirst()
  if (row !== undefined) return Object.freeze({ taken: true, locks: lockedUntilAfter(Number(row.failed_logins), now) !== null })
  // Locked: keep counting, so guesses during a lock are not free.
  await db.updateTable('admins').set((eb) => ({ failed_logins: eb('failed_logins', '+', 1) })).where('id', '=', adminId).execute()
  return Object.freeze({ taken: false })
}

/**
 * Resets the count and any lock after a success.
 *
 * @example
 * await clearLoginFailures(trx, admin.id)
 */
export async function clearLoginFailures(db: Kysely<Database>, adminId: string, extra: { readonly password_hash?: string } = {}): Promise<void> {
  await db.updateTable('admins').set({ failed_logins: 0, locked_until: null, ...extra }).where('id', '=', adminId).execute()
}

/**
 * The lock end for the lock the new count would start, as SQL: a CASE over
 * the lock number (the new count / threshold), so the doubling of
 * lockout.ts is computed by the same statement that counts.
 */
function lockEnd(now: number): RawBuilder<number> {
  const arms: RawBuilder<unknown>[] = []
  let n = 1
  for (; ; n++) {
    const until = lockedUntilAfter(n * LOCKOUT.threshold, now)!
    if (until - now >= LOCKOUT.maxLockMs) break
    arms.push(sql`when ${sql.lit(n)} then cast(${until} as bigint)`)
  }
  const longest = now + LOCKOUT.maxLockMs
  return sql<number>`case (failed_logins + 1) / ${sql.lit(LOCKOUT.threshold)} ${sql.join(arms, sql` `)} else cast(${longest} as bigint) end`
}
