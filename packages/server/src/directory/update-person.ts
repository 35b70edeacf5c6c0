/**
 * Updates a person under optimistic concurrency (update-at-version.ts):
 * applied only if the person is still at the version the caller read.
 * Renaming onto a taken username or email is SRV_DUPLICATE.
 */
import type { Kysely } from 'kysely'
import type { Database, Row, RowUpdate } from '../db/schema.js'
import { PEOPLE_UNIQUE_FIELDS } from './create-person.js'
import { normaliseKey } from './normalise-key.js'
import type { PersonFields } from './person-fields.js'
import { updateAtVersion, type VersionedRecord } from './update-at-version.js'

const PEOPLE: VersionedRecord<'people'> = { table: 'people', noun: 'person', unique: PEOPLE_UNIQUE_FIELDS, duplicate: 'person' }

/**
 * Applies `fields` to person `id` of `org` if it is still at `version`; returns the new row.
 * Throws SRV_NOT_FOUND, SRV_CONFLICT (version moved) or SRV_DUPLICATE.
 *
 * @example
 * const row = await updatePerson(db, 'acme', id, 3, { status: 'suspended' }, Date.now())
 */
export async function updatePerson(
  db: Kysely<Database>,
  org: string,
  id: string,
  version: number,
  fields: PersonFields,
  now: number,
): Promise<Row<'people'>> {
  const set: RowUpdate<'people'> = { updated_at: now }
  if (fields.username !== undefined) Object.assign(set, { username: fields.username, username_key: normaliseKey(fields.username) })
  if (fields.email !== undefined) Object.assign(set, { email: fields.email, email_key: normaliseKey(fields.email) })
  if (fields.name !== undefined) set.name = fields.name
  if (fields.status !== undefined) set.status = fields.status
  if (fields.sshKeys !== undefined) set.ssh_keys = JSON.stringify(fields.sshKeys)
  if (fields.attributes !== undefined) set.attributes = JSON.stringify(fields.attributes)
  return updateAtVersion(db, PEOPLE, org, id, version, set)
}
