/**
 * Creates a person of an org's directory. Uniqueness of username and email
 * (ignoring case) is left to the unique indexes, so two concurrent creates
 * of the same name cannot both succeed: the second gets SRV_DUPLICATE.
 */
import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database, Row } from '../db/schema.js'
import { refuseDuplicates } from './duplicate-error.js'
import { normaliseKey } from './normalise-key.js'
import type { PersonStatus } from './person-fields.js'

/** The checked fields of a new person (see person-fields.ts). */
export interface NewPerson {
  readonly username: string
  readonly email: string
  readonly name: string
  readonly status: PersonStatus
  readonly sshKeys: readonly string[]
  readonly attributes: Readonly<Record<string, string>>
}

/** Column → body field of the people table's unique indexes. */
export const PEOPLE_UNIQUE_FIELDS = Object.freeze({ username_key: 'username', email_key: 'email' })

/**
 * Inserts the person and returns the stored row.
 *
 * @example
 * const row = await createPerson(db, 'acme', { username: 'ada', email: 'ada@example.com', name: 'Ada',
 *   status: 'active', sshKeys: [], attributes: {} }, Date.now())
 */
export async function createPerson(db: Kysely<Database>, org: string, person: NewPerson, now: number): Promise<Row<'people'>> {
  const row: Row<'people'> = {
    id: `person-${randomBytes(10).toString('hex')}`,
    org_id: org,
    username: person.username,
    username_key: normaliseKey(person.username),
    email: person.email,
    email_key: normaliseKey(person.email),
    name: person.name,
    status: person.status,
    ssh_keys: JSON.stringify(person.sshKeys),
    attributes: JSON.stringify(person.attributes),
    created_at: now,
    updated_at: now,
    version: 1,
  }
  await refuseDuplicates(() => db.insertInto('people').values(row).execute(), PEOPLE_UNIQUE_FIELDS, 'person')
  return row
}
