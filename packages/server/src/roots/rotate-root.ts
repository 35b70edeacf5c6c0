/**
 * POST /v1/orgs/:org/roots, the work: accept root version N+1 only when
 * protocol `verifyRootUpdate` says a root threshold of version N's admin
 * keys AND of its own signed it (G3), then store it, log it and publish.
 *
 * The new root must keep the log origin, and its log key must be either
 * the current one or the org's pending key (made by `incident
 * rotate-credentials`): the server cannot sign with a key it does not
 * hold. A new key takes over in the same transaction that stores the root,
 * so the checkpoint published with the rotation is the first signed with
 * it. Every witness the root names needs a URL: known ones keep theirs,
 * new ones come in `witnesses`.
 *
 * Stored and logged in one transaction (the caller's `transaction` runner:
 * the route's also records the `root.rotate` audit event in it, so a stored
 * root always has its event), then published. If the witnesses
 * do not reach the quorum the rotation stays stored and logged (a log
 * never takes back an entry) and the caller gets 503; the next publish
 * (POST …/log/publish, a command, or repeating this same request) covers
 * it; its audit event, committed with the root, says the rotation
 * succeeded, which it did. Repeating the request with the same envelope is
 * always safe: it stores nothing and only publishes again (audited after
 * the handler, like any call that changes nothing in a transaction).
 */
import { dsse, requireUnexpired, rootFingerprint, utf8, verifyAnchorRoot, verifyRootUpdate } from '@palisade/protocol'
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { TransactionRunner } from '../audit/audited-transaction.js'
import { currentRoot } from '../commands/org-roots.js'
import { ServerError, type FieldError } from '../errors.js'
import type { OrgLog } from '../log/org-log.js'
import { witnessFieldErrors, type WitnessInput } from '../setup/check-witnesses.js'

/** The body of POST /v1/orgs/:org/roots. */
export interface RotateRequest {
  /** The new root version: DSSE envelope JSON. */
  readonly envelope: string
  /** URLs for witnesses the new root adds (or new URLs for known ones). */
  readonly witnesses?: readonly WitnessInput[]
}

/** Dependencies of {@link rotateRoot}. */
export interface RotateDeps {
  readonly db: Kysely<Database>
  readonly log: OrgLog
  /** Runs the store-and-log transaction (a route: `auditedTransactionRunner`, which records the event in it). */
  readonly transaction: TransactionRunner
  /** Told the version stored (at the end of the transaction, so an audit event in it can name it) or found stored already. */
  readonly stored?: (version: number) => void
  /** Milliseconds since the epoch (default Date.now). */
  readonly now?: () => number
}

/**
 * Verifies, stores, logs and publishes a new root version; returns it.
 *
 * @example
 * const { version } = await rotateRoot({ db, log, transaction: auditedTransactionRunner(db, request, { statusCode: 201 }) }, 'acme', { envelope: v2Json })
 */
export async function rotateRoot(deps: RotateDeps, orgId: string, request: RotateRequest): Promise<{ version: number }> {
  const { db, log } = deps
  const now = deps.now ?? Date.now
  const current = await currentRoot(db, orgId)
  if (current === undefined) throw new ServerError('SRV_NOT_FOUND', 'no such organisation')

  const envelope = dsse.parseEnvelope(request.envelope)
  const text = dsse.formatEnvelope(envelope)
  if (current.version > 1 && text === current.envelope) {
    // A repeated request (e.g. after a 503): stored and logged already; publish again.
    await log.publish(orgId)
    deps.stored?.(current.version)
    return { version: current.version }
  }

  // Every stored version was self-signed by its root threshold when stored.
  const trusted = verifyAnchorRoot(current.envelope, current.fingerprint)
  const next = verifyRootUpdate(trusted, envelope)
  requireUnexpired(next, Math.floor(now() / 1000))
  const version = next.root.version

  const errors: FieldError[] = []
  // A new log key is accepted only when it is the org's pending key (made by
  // incident/rotate-credentials.ts): the server must hold the signer of
  // whatever key the root names, or no checkpoint could verify again.
  let pendingKey: { readonly signer_key: string; readonly verifier_key: string } | undefined
  if (next.root.log.origin !== trusted.root.log.origin) {
    errors.push({ path: '/body/envelope', message: 'root.log must keep the log origin of the current root' })
  } else if (next.root.log.key !== trusted.root.log.key) {
    pendingKey = await db.selectFrom('pending_log_keys').select(['signer_key', 'verifier_key']).where('org_id', '=', orgId).executeTakeFirst()
    if (pendingKey === undefined || pendingKey.verifier_key !== next.root.log.key) {
      pendingKey = undefined
      errors.push({
        path: '/body/envelope',
        message: 'root.log.key must be the current log key, or the pending one from `incident rotate-credentials` (the server holds no other signer)',
      })
    }
  }
  const given = request.witnesses ?? []
  errors.push(...witnessFieldErrors(given))
  const newKeys = new Set(next.root.witnesses.keys)
  given.forEach((w, i) => {
    if (!newKeys.has(w.key)) errors.push({ path: `/body/witnesses/${i}/key`, message: 'is not a witness of the new root' })
  })
  const known = new Set(
    (await db.selectFrom('org_witnesses').select('key').where('org_id', '=', orgId).execute()).map((r) => r.key),
  )
  const givenKeys = new Set(given.map((w) => w.key))
  for (const k of next.root.witnesses.keys) {
    if (!known.has(k) && !givenKeys.has(k)) errors.push({ path: '/body/witnesses', message: `has no URL for the new witness ${k.split('+', 1)[0]}` })
  }
  if (errors.length > 0) throw new ServerError('SRV_VALIDATION', `the new root does not fit: ${errors[0]!.message}`, { errors })

  await deps.transaction(async (trx) => {
    const t = now()
    const taken = await trx.selectFrom('roots').select('version').where('org_id', '=', orgId).where('version', '=', version).executeTakeFirst()
    if (taken !== undefined) throw new ServerError('SRV_CONFLICT', `root version ${version} was stored by a concurrent request`)
    await trx
      .insertInto('roots')
      .values({ org_id: orgId, version, envelope: text, fingerprint: rootFingerprint(envelope.payload), created_at: t })
      .execute()
    for (const w of given) {
      await trx
        .insertInto('org_witnesses')
        .values({ org_id: orgId, key: w.key, url: w.url, last_size: null, created_at: t })
        .onConflict((oc) => oc.columns(['org_id', 'key']).doUpdateSet({ url: w.url }))
        .execute()
    }
    if (pendingKey !== undefined) {
      // The switch: from this commit on, every checkpoint (the one published
      // below, which names this root, first) is signed with the new key.
      const switched = await trx
        .updateTable('log_keys')
        .set({ signer_key: pendingKey.signer_key, verifier_key: pendingKey.verifier_key, created_at: t })
        .where('org_id', '=', orgId)
        .executeTakeFirst()
      if (Number(switched.numUpdatedRows) !== 1) throw new ServerError('SRV_INTERNAL', `org ${orgId} has no log key to replace`)
      await trx.deleteFrom('pending_log_keys').where('org_id', '=', orgId).where('verifier_key', '=', pendingKey.verifier_key).execute()
    }
    await log.append(orgId, [{ kind: 'root', refId: String(version), data: utf8(text) }], trx)
    deps.stored?.(version)
  })
  await log.publish(orgId)
  return { version }
}
