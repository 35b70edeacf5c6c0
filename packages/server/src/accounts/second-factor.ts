/**
 * Checks a second factor of an admin with TOTP enabled: a TOTP code (RFC
 * 6238, totp.ts) or one of their unused recovery codes. Both are used up
 * on success: the TOTP step is recorded with a conditional update (a code
 * accepted by two concurrent requests counts once), the recovery code is
 * marked used.
 */
import type { Kysely } from 'kysely'
import type { Database, Row } from '../db/schema.js'
import { ServerError } from '../errors.js'
import { useRecoveryCode } from './recovery-codes.js'
import { SecretBoxError, type SecretBox } from './secret-box.js'
import { acceptTotp } from './totp.js'
import { totpContext } from './accounts-deps.js'

/** What the caller presented. */
export interface SecondFactorInput {
  readonly totp?: string | undefined
  readonly recoveryCode?: string | undefined
}

/** Which factor passed, or why none did. */
export type SecondFactorResult = 'totp' | 'recovery-code' | 'missing' | 'invalid'

/**
 * Checks and uses up the presented factor. Throws SRV_UNAVAILABLE when the
 * stored secret does not open with this server's key (a key mixup the
 * operator must fix; never the caller's fault).
 *
 * @example
 * const r = await useSecondFactor(db, box, admin, { totp: body.totp }, now)
 */
export async function useSecondFactor(
  db: Kysely<Database>,
  box: SecretBox,
  admin: Pick<Row<'admins'>, 'id' | 'totp_secret' | 'totp_last_step'>,
  input: SecondFactorInput,
  now: number,
): Promise<SecondFactorResult> {
  if (input.totp !== undefined) {
    if (admin.totp_secret === null) return 'invalid'
    const step = acceptTotp(openTotpSecret(box, admin.id, admin.totp_secret), input.totp, now, admin.totp_last_step === null ? null : Number(admin.totp_last_step))
    if (step === undefined) return 'invalid'
    const r = await db
      .updateTable('admins')
      .set({ totp_last_step: step })
      .where('id', '=', admin.id)
      .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
      .executeTakeFirst()
    return r.numUpdatedRows > 0n ? 'totp' : 'invalid'
  }
  if (input.recoveryCode !== undefined) {
    return (await useRecoveryCode(db, admin.id, input.recoveryCode, now)) ? 'recovery-code' : 'invalid'
  }
  return 'missing'
}

/**
 * Opens a sealed TOTP secret of `adminId`.
 *
 * @example
 * const secret = openTotpSecret(box, admin.id, admin.totp_secret)
 */
export function openTotpSecret(box: SecretBox, adminId: string, sealed: string): string {
  try {
    return box.open(sealed, totpContext(adminId))
  } catch (e) {
    if (!(e instanceof SecretBoxError)) throw e
    throw new ServerError('SRV_UNAVAILABLE', `the TOTP secret of admin ${adminId} does not open with this server's secret key (wrong PALISADE_SECRET_KEY or secret.key?)`, { cause: e })
  }
}
