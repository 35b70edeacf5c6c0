/**
 * Creates a user group or a device group. Names are unique per org and
 * kind ignoring case, decided by the unique index (SRV_DUPLICATE on `name`).
 */
import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database, Row } from '../db/schema.js'
import { refuseDuplicates } from './duplicate-error.js'
import type { GroupKind } from './group-fields.js'
import { normaliseKey } from './normalise-key.js'

/** Column → body field of the groups table's unique index. */
export const GROUP_UNIQUE_FIELDS = Object.freeze({ name_key: 'name' })

/**
 * Inserts the group and returns the stored row.
 *
 * @example
 * const row = await createGroup(db, 'acme', { kind: 'user', name: 'Engineering', description: '' }, Date.now())
 */
export async function createGroup(
  db: Kysely<Database>,
  org: string,
  group: { readonly kind: GroupKind; readonly name: string; readonly description: string },
  now: number,
): Promise<Row<'groups'>> {
  const row: Row<'groups'> = {
    id: `group-${randomBytes(10).toString('hex')}`,
    org_id: org,
    kind: group.kind,
    name: group.name,
    name_key: normaliseKey(group.name),
    description: group.description,
    created_at: now,
    updated_at: now,
    version: 1,
  }
  await refuseDuplicates(() => db.insertInto('groups').values(row).execute(), GROUP_UNIQUE_FIELDS, `${group.kind} group`)
  return row
}
