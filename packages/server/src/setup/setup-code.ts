/**
 * One-time setup codes: the secret that lets whoever started the server
 * create an org (POST /v1/setup). A fresh code is made at every start
 * (invalidating earlier unused ones) and printed to the operator's terminal
 * only — never logged. The database holds its SHA-256 only.
 *
 * Format: 16 random bytes (128 bits) in base32, grouped by four for
 * reading aloud: `ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ`. Case, dashes and
 * spaces are ignored when the code is read back. 128 bits need no rate
 * limit: guessing is hopeless.
 *
 * Several nodes on one PostgreSQL database: each start invalidates the
 * codes of the others, so only the code printed last works.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { base32 } from '../auth/base32.js'

const CODE = /^[A-Z2-7]{26}$/

/**
 * Creates a fresh setup code, stores its hash and invalidates (deletes)
 * every earlier unused code. Returns the code: show it to the operator,
 * never log it.
 *
 * @example
 * const code = await createSetupCode(db) // 'K7QX-…'
 */
export async function createSetupCode(db: Kysely<Database>, now = Date.now()): Promise<string> {
  const plain = base32(randomBytes(16))
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('setup_codes').where('used_at', 'is', null).execute()
    await trx.insertInto('setup_codes').values({ code_hash: hashPlain(plain), created_at: now, used_at: null, org_id: null }).execute()
  })
  return plain.match(/.{1,4}/g)!.join('-')
}

/**
 * The stored hash of a code as typed, or undefined when it cannot be a
 * code at all.
 *
 * @example
 * setupCodeHash('abcd-efgh-ijkl-mnop-qrst-uvwx-yz') === setupCodeHash('ABCDEFGHIJKLMNOPQRSTUVWXYZ')
 */
export function setupCodeHash(code: string): string | undefined {
  const plain = code.replace(/[\s-]/g, '').toUpperCase()
  return CODE.test(plain) ? hashPlain(plain) : undefined
}

/**
 * True when `code` is a stored, unused setup code.
 *
 * @example
 * if (!(await setupCodeUsable(db, body.setupCode))) throw invalidSetupCode()
 */
export async function setupCodeUsable(db: Kysely<Database>, code: string): Promise<boolean> {
  const hash = setupCodeHash(code)
  if (hash === undefined) return false
  const row = await db.selectFrom('setup_codes').select('code_hash').where('code_hash', '=', hash).where('used_at', 'is', null).executeTakeFirst()
  return row !== undefined
}

/**
 * Marks the code used by `orgId` (inside the setup transaction, after the
 * org row exists). False when it was unknown or already used — including
 * by a concurrent setup that got there first.
 */
export async function consumeSetupCode(trx: Kysely<Database>, code: string, orgId: string, now: number): Promise<boolean> {
  const hash = setupCodeHash(code)
  if (hash === undefined) return false
  const res = await trx
    .updateTable('setup_codes')
    .set({ used_at: now, org_id: orgId })
    .where('code_hash', '=', hash)
    .where('used_at', 'is', null)
    .executeTakeFirst()
  return res.numUpdatedRows === 1n
}

function hashPlain(plain: string): string {
  return createHash('sha256').update(plain, 'utf8').digest('hex')
}
