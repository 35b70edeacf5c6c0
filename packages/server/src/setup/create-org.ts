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
 *    (head, entry 0, checkpoint), the first admin API key, the first console
 *    owner when `owner` is given, and the setup code marked used — so a
 *    failure anywhere leaves no half-made org.
 *
 * The owner's fields (password policy included) and their uniqueness are
 * checked in step 1, before any witness is contacted; the password is
 * hashed there too, so the transaction holds no slow work.
 */
import { dsse, formatRootLine, requireUnexpired, rootFingerprint, utf8, verifyAnchorRoot } from '@palisade/protocol'
import type { Kysely } from 'kysely'
import { adminFieldErrors, type NewAdminFields } from '../accounts/admin-fields.js'
import { grantRole, insertAdmin } from '../accounts/create-admin.js'
import { hashPassword } from '../accounts/password-hash.js'
import { createApiKey } from '../auth/api-key.js'
import { normaliseKey } from '../directory/normalise-key.js'
import type { Database } from '../db/schema.js'
import { withTransaction } from '../db/transaction.js'
import { ServerError, type FieldError } from '../errors.js'
import { objectSchema } from '../http/schemas.js'
import type { OrgLog } from '../log/org-log.js'
import { witnessFieldErrors, type WitnessInput } from './check-witnesses.js'
import { consumeSetupCode, setupCodeUsable } from './setup-code.js'

/** The body of POST /v1/setup. */
export interface SetupRequest {
  readonly setupCode: string
  /** Root v1: DSSE envelope JSON. */
  readonly root: string
  readonly witnesses: readonly WitnessInput[]
  /** The first console account, made owner of the org (optional: without it, only the API key). */
  readonly owner?: NewAdminFields
}

/** The answer of POST /v1/setup. */
export interface SetupResult {
  readonly org: string
  /** Root v1's fingerprint: what devices pin. */
  readonly fingerprint: string
  /** The first admin API key (scope `admin`); shown once. */
  readonly apiKey: string
  /** The owner account created with the org, when one was asked for. */
  readonly owner?: { readonly id: string; readonly username: string }
}

/** The JSON schema of the optional `owner` of POST /v1/setup (the checks beyond shape: accounts/admin-fields.ts). */
export const SETUP_OWNER_SCHEMA = objectSchema(
  {
    username: { type: 'string', minLength: 1, maxLength: 64 },
    email: { type: 'string', minLength: 1, maxLength: 254 },
    name: { type: 'string', minLength: 1, maxLength: 800 },
    password: { type: 'string', minLength: 1, maxLength: 1024 },
  },
  ['username', 'email', 'name', 'password'],
)

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
  const owner = request.owner === undefined ? undefined : await prepareOwner(db, request.owner)

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
    const key = await createApiKey(trx, org, 'first admin (setup)', ['admin'], { now: t })
    if (owner === undefined) return { key, ownerId: undefined }
    const ownerId = await insertAdmin(trx, owner, t, '/body/owner')
    await grantRole(trx, ownerId, org, 'owner', t)
    return { key, ownerId }
  })
  return Object.freeze({
    org,
    fingerprint: signed.fingerprint,
    apiKey: apiKey.key.key,
    ...(owner === undefined || apiKey.ownerId === undefined ? {} : { owner: { id: apiKey.ownerId, username: owner.username } }),
  })
}

/** Validates the owner (400 naming each field, 409 a taken username or email) and hashes the password. */
async function prepareOwner(db: Kysely<Database>, owner: NewAdminFields): Promise<{ username: string; email: string; name: string; passwordHash: string }> {
  const errors = adminFieldErrors(owner, '/body/owner')
  if (errors.length > 0) throw new ServerError('SRV_VALIDATION', `invalid owner: ${errors[0]!.path.slice('/body/owner/'.length)} ${errors[0]!.message}`, { errors })
  const taken = await db
    .selectFrom('admins')
    .select(['username_key', 'email_key'])
    .where((eb) => eb.or([eb('username_key', '=', normaliseKey(owner.username)), eb('email_key', '=', normaliseKey(owner.email))]))
    .executeTakeFirst()
  if (taken !== undefined) {
    const field = taken.username_key === normaliseKey(owner.username) ? 'username' : 'email'
    throw new ServerError('SRV_DUPLICATE', `another account already has this ${field}`, { errors: [{ path: `/body/owner/${field}`, message: 'is already used by another account' }] })
  }
  return { username: owner.username, email: owner.email, name: owner.name, passwordHash: await hashPassword(owner.password) }
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
