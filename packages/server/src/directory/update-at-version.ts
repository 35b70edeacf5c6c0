/**
 * An UPDATE under optimistic concurrency, shared by the directory's
 * versioned records (people, groups): the caller names the version it
 * read, and the UPDATE applies only `WHERE version = ?`, bumping it. Of two
 * edits made from the same version exactly one wins; the other gets 409
 * SRV_CONFLICT with the current version, so no edit is ever lost silently.
 * Changing a unique field onto a taken value is SRV_DUPLICATE, decided by
 * the unique index (refuseDuplicates).
 */
import type { Kysely } from 'kysely'
import type { Database, Row, RowUpdate } from '../db/schema.js'
import { ServerError } from '../errors.js'
import { refuseDuplicates } from './duplicate-error.js'

/** The tables whose rows carry `org_id`, `id` and `version`. */
export type VersionedTable = 'people' | 'groups'

/** What a versioned record is called, and which of its columns are unique. */
export interface VersionedRecord<T extends VersionedTable> {
  readonly table: T
  /** Its name in messages: 'person', 'group'. */
  readonly noun: string
  /** Unique column → field name (for SRV_DUPLICATE). */
  readonly unique: Readonly<Record<string, string>>
  /** What SRV_DUPLICATE says already exists: 'person', 'group of this kind'. */
  readonly duplicate: string
}

/**
 * Applies `set` (plus `version + 1`) to record `id` of `org` if it is still
 * at `version`; returns the new row. Throws SRV_NOT_FOUND, SRV_CONFLICT
 * (version moved) or SRV_DUPLICATE.
 *
 * @example
 * const row = await updateAtVersion(db, PEOPLE, 'acme', id, 3, { status: 'suspended', updated_at: now })
 */
export async function updateAtVersion<T extends VersionedTable>(
  db: Kysely<Database>,
  record: VersionedRecord<T>,
  org: string,
  id: string,
  version: number,
  set: RowUpdate<T>,
): Promise<Row<T>> {
  // Kysely cannot type a query over a table chosen by a type parameter;
  // both tables have the three columns used here, so one of them stands in.
  const table = record.table as 'people'
  const row = await refuseDuplicates(
    () =>
      db
        .updateTable(table)
        .set(set as RowUpdate<'people'>)
        .set((eb) => ({ version: eb('version', '+', 1) }))
        .where('org_id', '=', org)
        .where('id', '=', id)
        .where('version', '=', version)
        .returningAll()
        .executeTakeFirst(),
    record.unique,
    record.duplicate,
  )
  if (row !== undefined) return row as Row<T>
  const current = await db.selectFrom(table).select('version').where('org_id', '=', org).where('id', '=', id).executeTakeFirst()
  if (current === undefined) throw new ServerError('SRV_NOT_FOUND', `no ${record.noun} ${id} in this org`)
  throw versionConflict(record.noun, version, current.version)
}

/**
 * The 409 of an edit made from a stale version; names the current one.
 *
 * @example
 * throw versionConflict('group', 2, 3)
 */
export function versionConflict(what: string, sent: number, current: number): ServerError<'SRV_CONFLICT'> {
  return new ServerError('SRV_CONFLICT', `the ${what} changed since version ${sent}: it is at version ${current} now; read it again and reapply your change`, {
    errors: [{ path: '/body/version', message: `is ${sent}, but the current version is ${current}` }],
  })
}
