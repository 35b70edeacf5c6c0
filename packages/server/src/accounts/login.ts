/**
 * POST /v1/auth/login, the decision: who may open a console session.
 *
 * Order matters, so that the answer tells a guesser nothing:
 * 1. every attempt costs one argon2id verification, against a dummy hash
 *    when the username is unknown, the account disabled or locked;
 * 2. an attempt on a known, active account is counted BEFORE its password
 *    is verified (failed-login.ts): concurrent guesses cannot all fall in
 *    one lock window; a locked account verifies nothing and counts on;
 * 3. unknown user, disabled account, wrong password and a locked account
 *    (with any password, the right one too) all answer the same
 *    SRV_UNAUTHENTICATED: the lock never reveals itself to the caller (the
 *    org's audit trail shows it, `details.reason: locked`);
 * 4. after a correct password, an account with TOTP asks for the code
 *    (SRV_MFA_CODE_REQUIRED) or refuses a wrong one (SRV_MFA_CODE_INVALID);
 *    either way the attempt stays counted. Nothing but a full success ever
 *    lowers the count: an attempt given back could lift a lock that a
 *    racing wrong code had set (security re-review N1). The console sends
 *    the code with the password, so a person with MFA signs in with one
 *    attempt;
 * 5. a success resets the count, rehashes a password stored with older
 *    argon2 parameters and opens a session, in one transaction with the
 *    caller's audit events (`onSuccess`). The session has `mfa = 0` when an
 *    org of the admin requires MFA and the admin has no TOTP yet: it may
 *    only enrol (WIRE.md "Access").
 *
 * Every outcome carries a short `reason` for the audit trail; none carries
 * the password or a code.
 */
import { ServerError } from '../errors.js'
import type { AccountsDeps } from './accounts-deps.js'
import type { Transaction } from 'kysely'
import type { Database, Row } from '../db/schema.js'
import { withTransaction } from '../db/transaction.js'
import { createSession, type NewSession } from './create-session.js'
import { clearLoginFailures, takeLoginAttempt } from './failed-login.js'
import { findAdmin, orgsRequiringMfa } from './find-admin.js'
import { dummyPasswordHash, hashPassword, verifyPassword } from './password-hash.js'
import { useSecondFactor } from './second-factor.js'

/** A login attempt, as validated at the edge. */
export interface LoginInput {
  /** Username or email. Attacker-controlled. */
  readonly identifier: string
  readonly password: string
  readonly totp?: string | undefined
  readonly recoveryCode?: string | undefined
  readonly sourceAddr: string
  readonly userAgent: string | null
}

/** Why a login failed, for the audit trail. */
export type LoginFailure = 'unknown-user' | 'disabled' | 'locked' | 'bad-password' | 'mfa-required' | 'bad-totp' | 'bad-recovery-code'

/** The outcome of {@link attemptLogin}. */
export type LoginOutcome =
  | {
      readonly ok: true
      readonly admin: Row<'admins'>
      readonly session: NewSession
      readonly secondFactor: 'none' | 'totp' | 'recovery-code'
      readonly mfaRequiredBy: readonly string[]
    }
  | {
      readonly ok: false
      readonly admin: Row<'admins'> | undefined
      readonly reason: LoginFailure
      readonly error: ServerError
      /** This failure locked the account. */
      readonly locked: boolean
    }

const BAD_CREDENTIALS = 'the username or password is wrong, or the account cannot sign in'

/**
 * Decides a login attempt (see the module comment). Never throws for a
 * wrong credential: the caller audits the outcome, then answers.
 *
 * @example
 * const outcome = await attemptLogin(deps, { identifier: 'alice', password, sourceAddr: request.ip, userAgent: null })
 * if (!outcome.ok) throw outcome.error
 */
export async function attemptLogin(deps: AccountsDeps, input: LoginInput, onSuccess: SuccessHook = async () => {}): Promise<LoginOutcome> {
  const { db, box } = deps
  const admin = await findAdmin(db, input.identifier)
  const now = deps.now()
  const fail = (reason: LoginFailure, error: ServerError = unauthenticated(), locked = false): LoginOutcome =>
    Object.freeze({ ok: false, admin, reason, error, locked })
  const dummyCheck = async (): Promise<void> => void (await verifyPassword(await dummyPasswordHash(), input.password))

  if (admin === undefined || admin.status !== 'active') {
    await dummyCheck()
    return fail(admin === undefined ? 'unknown-user' : 'disabled')
  }
  const slot = await takeLoginAttempt(db, admin.id, now)
  if (!slot.taken) {
    await dummyCheck()
    return fail('locked')
  }
  const check = await verifyPassword(admin.password_hash, input.password)
  if (!check.ok) return fail('bad-password', unauthenticated(), slot.locks)

  let secondFactor: 'none' | 'totp' | 'recovery-code' = 'none'
  if (admin.totp_enabled_at !== null) {
    const result = await useSecondFactor(db, box, admin, input, now)
    if (result === 'missing') {
      return fail('mfa-required', new ServerError('SRV_MFA_CODE_REQUIRED', 'this account has MFA: send the current TOTP code as `totp`, or a recovery code as `recoveryCode`'), slot.locks)
    }
    if (result === 'invalid') {
      const reason = input.totp !== undefined ? 'bad-totp' : 'bad-recovery-code'
      return fail(reason, new ServerError('SRV_MFA_CODE_INVALID', 'the code is wrong or was already used'), slot.locks)
    }
    secondFactor = result
  }

  // An admin without TOTP passes as mfa = 1 (there is no factor to ask
  // for) unless one of their orgs requires MFA: then the session may only
  // enrol TOTP, and confirming it marks the session as passed.
  const mfaRequiredBy = admin.totp_enabled_at === null ? await orgsRequiringMfa(db, admin.id) : []
  const rehash = check.needsRehash ? await hashPassword(input.password) : undefined
  const session = await withTransaction(db, async (trx) => {
    await clearLoginFailures(trx, admin.id, rehash === undefined ? {} : { password_hash: rehash })
    const s = await createSession(trx, {
      adminId: admin.id,
      mfa: mfaRequiredBy.length === 0,
      now,
      policy: deps.policy,
      sourceAddr: input.sourceAddr,
      userAgent: input.userAgent,
    })
    await onSuccess(trx, { admin, secondFactor, sessionId: s.id, mfaRequiredBy })
    return s
  })
  return Object.freeze({ ok: true, admin, session, secondFactor, mfaRequiredBy })
}

/** What a successful login hands {@link SuccessHook}. */
export interface LoginSuccess {
  readonly admin: Row<'admins'>
  readonly secondFactor: 'none' | 'totp' | 'recovery-code'
  readonly sessionId: string
  /** Orgs that require MFA of an admin who has none yet (the session may only enrol). */
  readonly mfaRequiredBy: readonly string[]
}

/** Runs inside the transaction that opens the session (the route writes its audit events there). */
export type SuccessHook = (trx: Transaction<Database>, success: LoginSuccess) => Promise<void>

function unauthenticated(): ServerError<'SRV_UNAUTHENTICATED'> {
  return new ServerError('SRV_UNAUTHENTICATED', BAD_CREDENTIALS)
}
