/**
 * POST /v1/setup, the work: turn a one-time setup code and a self-signed
 * root v1 into an org whose log holds that root as entry 0 under a
 * checkpoint cosigned by a quorum of its witnesses.
 *
 * All or nothing, without holding a transaction across the network:
 * 1. check everything that can be checked locally (setup code, root
 *    signatures, log key, witness list) — nothing written;
 * 2. have the first checkpoint cosigned — nothing written; if the quorum is
 *    not met the caller gets 503 naming the witnesses and may retry with the
 *    same setup code (and must offer the same root: a witness that already
 *    cosigned would see anything else as a fork, and refuse it);
 * 3. one transaction: the org, its log key, root v1, its witnesses, the log
 *    (head, entry 0, checkpoint), the first admin API key, and the setup
 *    code marked used — so a failure anywhere leaves no half-made org.
 */
import { dsse, formatRootLine, requireUnexpired, rootFingerprint, utf8, verifyAnchorRoot } from '@palisade/protocol'
import type { Kysely } from 'kysely'
import { createApiKey } from '../auth/api-key.js'
import type { Database } from '../db/schema.js'
import { withTransaction } from '../db/transaction.js'
import { ServerError, type FieldError } from '../errors.js'
import type { OrgLog } from '../log/org-log.js'
import { witnessFieldErrors, type WitnessInput } from './check-witnesses.js'
import { consumeSetupCode, setupCodeUsable } from './setup-code.js'

/** The body of POST /v1/setup. */
export interface SetupRequest {
  readonly setupCode: string
  /** Root v1: DSSE envelope JSON. */
  readonly root: string
  readonly witnesses: readonly WitnessInput[]
}

/** The answer of POST /v1/setup. */
export interface SetupResult {
  readonly org: string
  /** Root v1's fingerprint: what devices pin. */
  readonly fingerprint: string
  /** The first admin API key (scope `admin`); shown once. */
  readonly apiKey: string
}

/** Dependencies of {@link createOrg}. */
export interface CreateOrgDeps {
  readonly db: Kysely<Database>
  readonly log: OrgLog
  /** Milliseconds since the epoch (default Date.now). */
  readonly now?: () => number
}

/** The one answer for a setup code that is wrong, unknown or used. */
export function invalidSetupCode(): ServerError<'SRV_UNAUTHENTICATED'> {
  return new ServerError('SRV_UNAUTHENTICATED', 'invalid setup code', { headers: { 'www-authenticate': 'PalisadeSetupCode realm="palisade"' } })
}

/**
 * Creates the org described by a self-signed root v1 (see the module
 * comment). Errors: 401 bad setup code; PROTO_* (400/422) a root that does
 * not verify; 400 SRV_VALIDATION a root or witness list that does not fit
 * this server's log key; 409 the org exists; 503 WitnessQuorumError.
 *
 * @example
 * const { org, fingerprint, apiKey } = await createOrg({ db, log }, body)
 */
export async function createOrg(deps: CreateOrgDeps, request: SetupRequest): Promise<SetupResult> {
  const { db, log } = deps
  const now = deps.now ?? Date.now
  if (!(await setupCodeUsable(db, request.setupCode))) throw invalidSetupCode()

  // Self-signed by its own root threshold: the fingerprint we pin is its own.
  const envelope = dsse.parseEnvelope(request.root)
  const signed = verifyAnchorRoot(envelope, rootFingerprint(envelope.payload))
  const { root } = signed
  if (root.version !== 1) throw invalidRoot(`an org starts at root version 1, not ${root.version}`)
  requireUnexpired(signed, Math.floor(now() / 1000))
  const org = root.org

  if (await orgExists(db, org)) throw new ServerError('SRV_CONFLICT', `org ${org} already exists`)
  const pending = await db.selectFrom('pending_log_keys').selectAll().where('org_id', '=', org).executeTakeFirst()
  if (pending === undefined) throw invalidRoot(`no log key was made for org ${org}: call POST /v1/setup/log-key first`)
  const errors: FieldError[] = []
  if (root.log.origin !== pending.origin) errors.push({ path: '/body/root', message: `root.log.origin must be ${pending.origin}` })
  if (root.log.key !== pending.verifier_key) errors.push({ path: '/body/root', message: 'root.log.key must be the log key this server made for the org' })
  errors.push(...witnessFieldErrors(request.witnesses), ...witnessSetErrors(root.witnesses.keys, request.witnesses))
  if (errors.length > 0) throw new ServerError('SRV_VALIDATION', `the root or witnesses do not fit: ${errors[0]!.message}`, { errors })

  // One envelope, one spelling: the canonical text is stored, served and logged.
  const text = dsse.formatEnvelope(envelope)
  const first = await log.cosignFirstCheckpoint({
    origin: pending.origin,
    signerKey: pending.signer_key,
    entry: { kind: 'root', refId: '1', data: utf8(text) },
    rootLine: formatRootLine({ version: 1, fingerprint: signed.fingerprint }),
    witnesses: request.witnesses,
    quorum: root.witnesses.quorum,
  })

  const apiKey = await withTransaction(db, async (trx) => {
    const t = now()
    if (await orgExists(trx, org)) throw new ServerError('SRV_CONFLICT', `org ${org} already exists`)
    await trx.insertInto('orgs').values({ id: org, name: org, created_at: t }).execute()
    if (!(await consumeSetupCode(trx, request.setupCode, org, t))) throw invalidSetupCode()
    await trx
      .insertInto('log_keys')
      .values({ org_id: org, origin: pending.origin, signer_key: pending.signer_key, verifier_key: pending.verifier_key, created_at: t })
      .execute()
    await trx.deleteFrom('pending_log_keys').where('org_id', '=', org).execute()
    await trx.insertInto('roots').values({ org_id: org, version: 1, envelope: text, fingerprint: signed.fingerprint, created_at: t }).execute()
    await log.writeFirstCheckpoint(trx, org, first, request.witnesses)
    return createApiKey(trx, org, 'first admin (setup)', ['admin'], { now: t })
  })
  return Object.freeze({ org, fingerprint: signed.fingerprint, apiKey: apiKey.key })
}

async function orgExists(db: Kysely<Database>, org: string): Promise<boolean> {
  return (await db.selectFrom('orgs').select('id').where('id', '=', org).executeTakeFirst()) !== undefined
}

function invalidRoot(message: string): ServerError<'SRV_VALIDATION'> {
  return new ServerError('SRV_VALIDATION', message, { errors: [{ path: '/body/root', message }] })
}

/** The witnesses given must be exactly the root's witness keys. */
export function witnessSetErrors(rootKeys: readonly string[], given: readonly WitnessInput[]): FieldError[] {
  const errors: FieldError[] = []
  const keys = new Set(rootKeys)
  given.forEach((w, i) => {
    if (!keys.has(w.key)) errors.push({ path: `/body/witnesses/${i}/key`, message: 'is not a witness of the root' })
  })
  const listed = new Set(given.map((w) => w.key))
  for (const k of rootKeys) {
    if (!listed.has(k)) errors.push({ path: '/body/witnesses', message: `has no URL for the root's witness ${k.split('+', 1)[0]}` })
  }
  return errors
}
