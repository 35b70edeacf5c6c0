/**
 * Renames or re-describes a group under optimistic concurrency
 * (update-at-version.ts): applied only if the group is still at the
 * version the caller read. A name taken by a group of the same kind is
 * SRV_DUPLICATE.
 */
import type { Kysely } from 'kysely'
import type { Database, Row, RowUpdate } from '../db/schema.js'
import { GROUP_UNIQUE_FIELDS } from './create-group.js'
import type { GroupFields } from './group-fields.js'
import { normaliseKey } from './normalise-key.js'
import { updateAtVersion, type VersionedRecord } from './update-at-version.js'

const GROUPS: VersionedRecord<'groups'> = { table: 'groups', noun: 'group', unique: GROUP_UNIQUE_FIELDS, duplicate: 'group of this kind' }

/**
 * Applies `fields` to group `id` of `org` if it is still at `version`; returns the new row.
 * Throws SRV_NOT_FOUND, SRV_CONFLICT (version moved) or SRV_DUPLICATE (name taken).
 *
 * @example
 * const row = await updateGroup(db, 'acme', id, 1, { name: 'Platform' }, Date.now())
 */
export async function updateGroup(
  db: Kysely<Database>,
  org: string,
  id: string,
  version: number,
  fields: GroupFields,
  now: number,
): Promise<Row<'groups'>> {
  const set: RowUpdate<'groups'> = { updated_at: now }
  if (fields.name !== undefined) Object.assign(set, { name: fields.name, name_key: normaliseKey(fields.name) })
  if (fields.description !== undefined) set.description = fields.description
  return updateAtVersion(db, GROUPS, org, id, version, set)
}
