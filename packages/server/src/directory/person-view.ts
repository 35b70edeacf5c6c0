/**
 * How a person is shown over the API, and the response schemas that say so
 * (fast-json-stringify drops anything a schema does not list).
 */
import type { Row } from '../db/schema.js'
import { objectSchema, type JsonSchema } from '../http/schemas.js'

/** A person as the API shows it. */
export interface PersonView {
  readonly id: string
  readonly username: string
  readonly email: string
  readonly name: string
  readonly status: string
  readonly sshKeys: readonly string[]
  readonly attributes: Readonly<Record<string, string>>
  readonly createdAt: number
  readonly updatedAt: number
  readonly version: number
}

const PERSON_PROPERTIES = {
  id: { type: 'string' },
  username: { type: 'string' },
  email: { type: 'string' },
  name: { type: 'string' },
  status: { type: 'string' },
  sshKeys: { type: 'array', items: { type: 'string' } },
  attributes: { type: 'object', additionalProperties: { type: 'string' } },
  createdAt: { type: 'integer' },
  updatedAt: { type: 'integer' },
  version: { type: 'integer' },
} as const

/** Response schema of a person. */
export const PERSON_SCHEMA: JsonSchema = objectSchema(PERSON_PROPERTIES, Object.keys(PERSON_PROPERTIES))

const REF = objectSchema({ id: { type: 'string' }, name: { type: 'string' } }, ['id', 'name'])
const DEVICE_REF = objectSchema({ id: { type: 'string' }, hostname: { type: 'string' } }, ['id', 'hostname'])

/** Response schema of one person with their groups and devices. */
export const PERSON_DETAIL_SCHEMA: JsonSchema = objectSchema(
  { ...PERSON_PROPERTIES, groups: { type: 'array', items: REF }, devices: { type: 'array', items: DEVICE_REF } },
  [...Object.keys(PERSON_PROPERTIES), 'groups', 'devices'],
)

/**
 * The API view of a people row.
 *
 * @example
 * reply.code(201).send(personView(row))
 */
export function personView(row: Row<'people'>): PersonView {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    name: row.name,
    status: row.status,
    sshKeys: JSON.parse(row.ssh_keys) as string[],
    attributes: JSON.parse(row.attributes) as Record<string, string>,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  }
}
