/**
 * The log key of an org being set up. Admins need the log's verifier key
 * and origin to write root v1, which they sign offline, so the server makes
 * the key first (POST /v1/setup/log-key) and keeps it, across restarts,
 * until setup creates the org and moves it to `log_keys`.
 *
 * The key is an Ed25519 C2SP signed-note key whose name is the origin,
 * `palisade/<org>`. The server holds its private half: see log/org-log.ts
 * for why that is acceptable (witnesses and devices check consistency).
 */
import { randomBytes } from 'node:crypto'
import { note, nodePublicKey } from '@palisade/protocol'
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'

/** The public half of a log key. */
export interface LogKeyInfo {
  /** The checkpoint origin line, also the key's name: `palisade/<org>`. */
  readonly origin: string
  /** C2SP verifier key string (Ed25519, type 0x01). */
  readonly logKey: string
}

/** The origin of an org's log. */
export function logOrigin(orgId: string): string {
  return `palisade/${orgId}`
}

/**
 * Returns the org's pending log key, creating it on first call (concurrent
 * calls get the same key).
 *
 * @example
 * const { origin, logKey } = await pendingLogKey(db, 'acme') // 'palisade/acme', 'palisade/acme+1a2b3c4d+AV…'
 */
export async function pendingLogKey(db: Kysely<Database>, orgId: string, now = Date.now()): Promise<LogKeyInfo> {
  const existing = await readPending(db, orgId)
  if (existing !== undefined) return existing
  const origin = logOrigin(orgId)
  const seed = new Uint8Array(randomBytes(32))
  await db
    .insertInto('pending_log_keys')
    .values({
      org_id: orgId,
      origin,
      signer_key: await note.formatSignerKey(origin, seed),
      verifier_key: note.formatVerifierKey(origin, nodePublicKey(seed)),
      created_at: now,
    })
    .onConflict((oc) => oc.column('org_id').doNothing())
    .execute()
  seed.fill(0)
  const stored = await readPending(db, orgId)
  if (stored === undefined) throw new Error(`pending log key of ${orgId} vanished`)
  return stored
}

async function readPending(db: Kysely<Database>, orgId: string): Promise<LogKeyInfo | undefined> {
  const row = await db.selectFrom('pending_log_keys').select(['origin', 'verifier_key']).where('org_id', '=', orgId).executeTakeFirst()
  return row === undefined ? undefined : Object.freeze({ origin: row.origin, logKey: row.verifier_key })
}
