/**
 * The server half of `palisade incident rotate-credentials`, for the day
 * the server was breached: every credential the server issued or holds is
 * assumed stolen. In ONE transaction:
 *
 * - every live API key of the org is revoked and replaced by a new key with
 *   the same name, scopes and expiry (so its remaining lifetime), created
 *   by the caller; the new keys are returned once, here;
 * - every live console session of every admin whose only role is in the org is
 *   revoked (the caller's own included: it may be the stolen one);
 * - every enrollment token of the org that could still enroll a device is
 *   used up;
 * - a new log signing key is made and kept as the org's pending log key. It
 *   is NOT in force: devices and witnesses trust the log key their root
 *   names, so it takes over only when the admins sign a root rotation that
 *   names it (roots/rotate-root.ts switches the signer when storing it).
 *
 * Either all of it happens or none (a crash between two steps must not
 * leave an attacker's key alive beside the reissued ones). The transaction
 * is the caller's: the route's records the audit event in it too, with
 * details taken from the result (so it must see the result before commit).
 */
import { randomBytes } from 'node:crypto'
import { note, nodePublicKey } from '@palisade/protocol'
import type { Kysely, Transaction } from 'kysely'
import { onlyOfOrg } from '../accounts/only-of-org.js'
import { createApiKey } from '../auth/api-key.js'
import type { Database } from '../db/schema.js'
import { ServerError } from '../errors.js'

/** A replacement key, shown once. */
export interface ReissuedApiKey {
  readonly id: string
  /** The id of the key it replaces (revoked). */
  readonly replaces: string
  readonly name: string
  /** `pal_<prefix>_<secret>`: a secret; never log it. */
  readonly key: string
  readonly prefix: string
  readonly scopes: readonly string[]
  readonly expiresAt: number | null
}

/** What the rotation did. */
export interface RotatedCredentials {
  readonly apiKeys: readonly ReissuedApiKey[]
  /** The new id of the caller's own key when the caller used an API key, else null. */
  readonly callerApiKey: string | null
  readonly revoked: { readonly apiKeys: number; readonly sessions: number; readonly enrollmentTokens: number }
  /** The log key in force, and the pending one a root rotation must name. */
  readonly log: { readonly origin: string; readonly currentKey: string; readonly pendingKey: string }
}

/**
 * Runs the rotation's work in one transaction and returns its result; a
 * route passes one that also records its audit event (withAuditedTransaction).
 */
export type RotationTransaction = (work: (trx: Transaction<Database>) => Promise<RotatedCredentials>) => Promise<RotatedCredentials>

/** Who asks: an admin id or an API key id (the replacements' `created_by`), and that key's id when it is one. */
export interface RotationCaller {
  readonly createdBy: string
  readonly apiKeyId: string | null
}

/**
 * Rotates every credential of `orgId` (see the module comment).
 *
 * @example
 * const r = await rotateCredentials(db, (work) => withTransaction(db, work), 'acme', { createdBy: adminId, apiKeyId: null }, Date.now())
 * // r.apiKeys: the new keys, to hand to their owners; r.log.pendingKey: for root vN+1
 */
export async function rotateCredentials(
  db: Kysely<Database>,
  transaction: RotationTransaction,
  orgId: string,
  caller: RotationCaller,
  now: number,
): Promise<RotatedCredentials> {
  const logKey = await db.selectFrom('log_keys').select(['origin', 'verifier_key']).where('org_id', '=', orgId).executeTakeFirst()
  if (logKey === undefined) throw new ServerError('SRV_NOT_FOUND', 'no such organisation')
  // Made before the transaction (which may run again on a retry); the seed
  // lives only in the signer-key text stored below.
  const seed = new Uint8Array(randomBytes(32))
  const signerKey = await note.formatSignerKey(logKey.origin, seed)
  const verifierKey = note.formatVerifierKey(logKey.origin, nodePublicKey(seed))
  seed.fill(0)

  return transaction(async (trx) => {
    const live = await trx
      .selectFrom('api_keys')
      .select(['id', 'name', 'scopes', 'expires_at'])
      .where('org_id', '=', orgId)
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .orderBy('created_at')
      .orderBy('id')
      .execute()
    const apiKeys: ReissuedApiKey[] = []
    let callerApiKey: string | null = null
    for (const old of live) {
      await trx.updateTable('api_keys').set({ revoked_at: now }).where('id', '=', old.id).execute()
      const scopes = JSON.parse(old.scopes) as string[]
      const expiresAt = old.expires_at === null ? null : Number(old.expires_at)
      const created = await createApiKey(trx, orgId, old.name, scopes, { now, expiresAt, createdBy: caller.createdBy })
      apiKeys.push(Object.freeze({ id: created.id, replaces: old.id, name: old.name, key: created.key, prefix: created.prefix, scopes, expiresAt }))
      if (old.id === caller.apiKeyId) callerApiKey = created.id
    }

    const sessions = await trx
      .updateTable('sessions')
      .set({ revoked_at: now })
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      // Only admins whose only role is here: sessions are server-wide, and
      // one org must not sign out an admin who also serves others (H2).
      .where('admin_id', 'in', onlyOfOrg(orgId))
      .executeTakeFirst()

    const tokens = await trx
      .updateTable('enrollment_tokens')
      .set({ uses_left: 0 })
      .where('org_id', '=', orgId)
      .where('uses_left', '>', 0)
      .where('expires_at', '>', now)
      .executeTakeFirst()
    // And expired, used up or not: an unexpired token still answers an
    // enrollment retry (enroll-route.ts) with its device's id and roots.
    await trx.updateTable('enrollment_tokens').set({ expires_at: now }).where('org_id', '=', orgId).where('expires_at', '>', now).execute()

    await trx.deleteFrom('pending_log_keys').where('org_id', '=', orgId).execute()
    await trx
      .insertInto('pending_log_keys')
      .values({ org_id: orgId, origin: logKey.origin, signer_key: signerKey, verifier_key: verifierKey, created_at: now })
      .execute()

    return Object.freeze({
      apiKeys,
      callerApiKey,
      revoked: { apiKeys: live.length, sessions: Number(sessions.numUpdatedRows), enrollmentTokens: Number(tokens.numUpdatedRows) },
      log: { origin: logKey.origin, currentKey: logKey.verifier_key, pendingKey: verifierKey },
    })
  })
}
