/**
 * POST /v1/enroll — a machine joins an org with an enrollment token and its
 * own Ed25519 device key (made on the machine; the server only ever sees
 * the public half). No API key: the token is the credential.
 *
 * The token is used up atomically: one conditional UPDATE (`uses_left > 0
 * AND expires_at > now`) in the same transaction as the device insert, so
 * a one-use token enrolls exactly one device however many requests race,
 * and a failed insert gives the use back. The `device.enroll` event goes
 * into the token's org in that same transaction: a device is never
 * enrolled without its event. Every token failure (unknown,
 * expired, used up, malformed) gets the same 401, so the answer tells an
 * attacker nothing about which tokens exist.
 *
 * A retry is answered like the first try: an agent whose answer was lost
 * (a timeout, a dropped connection) sends the same key, token and hostname
 * again, and gets the device that request enrolled (201, same id), without
 * using the token again. Before, it got 409 and was left with a device it
 * could not name and a use it could not get back. Only a real lost answer
 * qualifies: the token unexpired (an incident rotation expires every token
 * of the org), the device enrolled less than RETRY_WINDOW_MS ago and never
 * connected (a device that said hello got its answer). On PostgreSQL the
 * token's row is locked first, so a retry that overlaps the slow first try
 * waits for it and then finds its device, rather than a used-up token.
 * What a retry tells is the device id, org and roots, to a caller holding
 * the token, the public key and the hostname; connecting as the device
 * still needs its private key.
 *
 * The answer carries the org's root chain. The agent trusts none of it
 * until it has checked root v1 against the fingerprint from its install
 * command (verifyRootChain).
 */
import { randomBytes } from 'node:crypto'
import type { Transaction } from 'kysely'
import { fromBase64, toBase64 } from '@palisade/protocol'
import { rootEnvelopesAbove } from '../commands/org-roots.js'
import { withAuditedTransaction } from '../audit/audited-transaction.js'
import { encodeInventory, MAX_INVENTORY_BYTES } from '../devices/inventory.js'
import { replaceDevicePackages } from '../devices/device-packages.js'
import { PUBLIC } from '../auth/access.js'
import { ServerError, type FieldError } from '../errors.js'
import { NO_QUERY, objectSchema } from '../http/schemas.js'
import type { Database } from '../db/schema.js'
import { isPostgres } from '../log/org-lock.js'
import type { RoutePlugin } from '../routes/route-context.js'
import { hashEnrollmentToken, TOKEN_RE } from './enrollment-token.js'

/** Host names as agents report them (up to 255 characters): letters, digits, dot, hyphen, underscore. */
export const HOSTNAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/

/** The body may carry a full 1 MiB inventory plus the other fields. */
export const ENROLL_BODY_LIMIT = MAX_INVENTORY_BYTES + 64 * 1024

const BAD_TOKEN = 'the enrollment token is not valid'

/** The enrollment route. */
export const enrollRoute: RoutePlugin = async (app, { db }) => {
  app.post(
    '/v1/enroll',
    {
      config: { access: PUBLIC, audit: { action: 'device.enroll', target: 'device' } },
      bodyLimit: ENROLL_BODY_LIMIT,
      schema: {
        querystring: NO_QUERY,
        body: objectSchema(
          {
            // Shape checked in the handler, so a malformed token gets the same 401 as a wrong one.
            token: { type: 'string', maxLength: 256 },
            publicKey: { type: 'string', maxLength: 64 },
            hostname: { type: 'string', minLength: 1, maxLength: 255, pattern: HOSTNAME_RE.source },
            inventory: { type: 'object' },
          },
          ['token', 'publicKey', 'hostname'],
        ),
        response: {
          201: objectSchema(
            { deviceId: { type: 'string' }, org: { type: 'string' }, roots: { type: 'array', items: { type: 'string' } } },
            ['deviceId', 'org', 'roots'],
          ),
        },
      },
    },
    async (request, reply) => {
      const body = request.body as { token: string; publicKey: string; hostname: string; inventory?: Record<string, unknown> }
      const errors: FieldError[] = []
      let publicKey: string | undefined
      try {
        const raw = fromBase64(body.publicKey, 'publicKey')
        if (raw.length === 32) publicKey = toBase64(raw)
      } catch {
        // reported below
      }
      if (publicKey === undefined) errors.push({ path: '/body/publicKey', message: 'must be a base64 Ed25519 public key (32 bytes)' })
      const inventory = body.inventory === undefined ? undefined : encodeInventory(body.inventory)
      if (body.inventory !== undefined && inventory === undefined) errors.push({ path: '/body/inventory', message: 'is larger than 1 MiB' })
      if (errors.length > 0 || publicKey === undefined) {
        throw new ServerError('SRV_VALIDATION', `the request body is invalid: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`, { errors })
      }
      if (!TOKEN_RE.test(body.token)) throw new ServerError('SRV_UNAUTHENTICATED', BAD_TOKEN)
      const key = publicKey

      const tokenHash = hashEnrollmentToken(body.token)
      const deviceId = `dev-${randomBytes(10).toString('hex')}`
      const now = Date.now()
      const enrolled = await withAuditedTransaction(db, request, async (trx) => {
        // Under READ COMMITTED the statements after this lock see what an
        // overlapping first try committed meanwhile. SQLite runs one
        // transaction at a time.
        if (isPostgres(trx)) await trx.selectFrom('enrollment_tokens').select('id').where('token_hash', '=', tokenHash).forUpdate().execute()
        const retried = await sameEnrollment(trx, key, tokenHash, body.hostname, now)
        if (retried !== undefined) {
          request.auditTarget = retried.id
          request.auditOrg = retried.org_id
          request.auditDetails = { hostname: body.hostname, retry: true }
          return { org: retried.org_id, deviceId: retried.id, retry: true }
        }
        const used = await trx
          .updateTable('enrollment_tokens')
          .set((eb) => ({ uses_left: eb('uses_left', '-', 1) }))
          .where('token_hash', '=', tokenHash)
          .where('uses_left', '>', 0)
          .where('expires_at', '>', now)
          .returning(['id', 'org_id'])
          .executeTakeFirst()
        if (used === undefined) throw new ServerError('SRV_UNAUTHENTICATED', BAD_TOKEN)
        const taken = await trx.selectFrom('devices').select('id').where('public_key', '=', key).executeTakeFirst()
        // Thrown inside the transaction: the token use is given back.
        if (taken !== undefined) throw new ServerError('SRV_CONFLICT', 'a device with this public key is already enrolled')
        await trx
          .insertInto('devices')
          .values({
            id: deviceId,
            org_id: used.org_id,
            public_key: key,
            hostname: body.hostname,
            enrolled_at: now,
            inventory: inventory?.json ?? null,
            inventory_at: inventory === undefined ? null : now,
            os: inventory?.os ?? null,
            enrolled_with: used.id,
          })
          .execute()
        if (inventory !== undefined) await replaceDevicePackages(trx, used.org_id, deviceId, inventory.packages)
        // Set only once enrolled: a refused token's failure stays out of every org's trail, as before.
        request.auditTarget = deviceId
        request.auditOrg = used.org_id
        request.auditDetails = { hostname: body.hostname }
        return { org: used.org_id, deviceId, retry: false }
      }, { statusCode: 201, at: now })
      const { org } = enrolled
      request.log.info({ org, deviceId: enrolled.deviceId, retry: enrolled.retry }, enrolled.retry ? 'device enrollment retried' : 'device enrolled')
      const roots = await rootEnvelopesAbove(db, org, 0)
      return reply.code(201).send({ deviceId: enrolled.deviceId, org, roots })
    },
  )
}

/** How long after an enrollment its retry gets the same device (an agent retries within seconds: agent/src/enroll.ts). */
export const RETRY_WINDOW_MS = 15 * 60_000

/**
 * The device an earlier request with this key, token and hostname enrolled,
 * if the token is unexpired (used up or not), the device enrolled less than
 * RETRY_WINDOW_MS ago and never connected; undefined otherwise.
 */
async function sameEnrollment(trx: Transaction<Database>, publicKey: string, tokenHash: string, hostname: string, now: number): Promise<{ id: string; org_id: string } | undefined> {
  return trx
    .selectFrom('devices as d')
    .innerJoin('enrollment_tokens as t', 't.id', 'd.enrolled_with')
    .select(['d.id', 'd.org_id'])
    .where('d.public_key', '=', publicKey)
    .where('d.hostname', '=', hostname)
    .where('d.enrolled_at', '>', now - RETRY_WINDOW_MS)
    .where('d.last_seen_at', 'is', null)
    .where('t.token_hash', '=', tokenHash)
    .whereRef('t.org_id', '=', 'd.org_id')
    .where('t.expires_at', '>', now)
    .executeTakeFirst()
}
