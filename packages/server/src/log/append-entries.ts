/**
 * Appending to an org's log inside a transaction: the head row is bumped
 * first (`size = size + n … returning size`), which makes concurrent
 * appenders of one org wait for each other (PostgreSQL row lock, SQLite
 * write lock), so the indexes each gets are consecutive and never reused.
 */
import { merkle } from '@palisade/protocol'
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { ServerError } from '../errors.js'

/** What a log entry is. */
export const LOG_ENTRY_KINDS = ['root', 'command'] as const
/** A log entry kind. */
export type LogEntryKind = (typeof LOG_ENTRY_KINDS)[number]

/** One entry to append. `data` is the exact signed bytes (a DSSE envelope's JSON text). */
export interface LogEntryInput {
  readonly kind: LogEntryKind
  /** What the entry is about: a command id, a root version. */
  readonly refId: string
  readonly data: Uint8Array
}

/** Largest entry: a DSSE envelope is at most 2 MiB (protocol DSSE_LIMITS). */
export const MAX_ENTRY_BYTES = 2 * 1024 * 1024
const INSERT_CHUNK = 1000

/** Most entries in one append. */
export const MAX_ENTRIES_PER_APPEND = 10_000

/**
 * Appends `entries` to the org's log using `trx` (pass a transaction: the
 * head update and the rows must commit together) and returns their
 * indexes. Throws SRV_NOT_FOUND when the org has no log.
 *
 * @example
 * const [index] = await appendEntries(trx, 'acme', [{ kind: 'command', refId: id, data }], Date.now())
 */
export async function appendEntries(
  trx: Kysely<Database>,
  orgId: string,
  entries: readonly LogEntryInput[],
  now: number,
): Promise<number[]> {
  checkEntries(entries)
  const n = entries.length
  const head = await trx
    .updateTable('log_heads')
    .set((eb) => ({ size: eb('size', '+', n) }))
    .where('org_id', '=', orgId)
    .returning('size')
    .executeTakeFirst()
  if (head === undefined) throw new ServerError('SRV_NOT_FOUND', `org ${orgId} has no log`)
  const first = Number(head.size) - n
  const indexes = entries.map((_, i) => first + i)
  // Chunked: SQLite binds at most 32766 parameters per statement.
  for (let at = 0; at < n; at += INSERT_CHUNK) {
    await trx
      .insertInto('log_entries')
      .values(
        entries.slice(at, at + INSERT_CHUNK).map((e, i) => ({
          org_id: orgId,
          idx: first + at + i,
          leaf_data: e.data,
          leaf_hash: merkle.leafHash(e.data),
          kind: e.kind,
          ref_id: e.refId,
          created_at: now,
        })),
      )
      .execute()
  }
  return indexes
}

function checkEntries(entries: readonly LogEntryInput[]): void {
  if (entries.length === 0 || entries.length > MAX_ENTRIES_PER_APPEND) {
    throw new ServerError('SRV_INTERNAL', `append takes 1 to ${MAX_ENTRIES_PER_APPEND} entries, got ${entries.length}`)
  }
  for (const e of entries) {
    const ok =
      (LOG_ENTRY_KINDS as readonly string[]).includes(e.kind) &&
      typeof e.refId === 'string' && e.refId.length > 0 && e.refId.length <= 256 &&
      e.data instanceof Uint8Array && e.data.length <= MAX_ENTRY_BYTES
    if (!ok) throw new ServerError('SRV_INTERNAL', 'invalid log entry (kind, refId or data)')
  }
}
