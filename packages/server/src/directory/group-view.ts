/**
 * How a group and its members are shown over the API, and the response
 * schemas that say so.
 */
import type { Row } from '../db/schema.js'
import { objectSchema, type JsonSchema } from '../http/schemas.js'

const GROUP_PROPERTIES = {
  id: { type: 'string' },
  kind: { type: 'string' },
  name: { type: 'string' },
  description: { type: 'string' },
  memberCount: { type: 'integer' },
  createdAt: { type: 'integer' },
  updatedAt: { type: 'integer' },
  version: { type: 'integer' },
} as const

/** Response schema of a group (with its member count). */
export const GROUP_SCHEMA: JsonSchema = objectSchema(GROUP_PROPERTIES, Object.keys(GROUP_PROPERTIES))

/**
 * A member as listed in a group: a person (username, name, email, status)
 * in a user group, a device (hostname, os, personId) in a device group.
 */
export const MEMBER_SCHEMA: JsonSchema = objectSchema(
  {
    id: { type: 'string' },
    username: { type: 'string' },
    name: { type: 'string' },
    email: { type: 'string' },
    status: { type: 'string' },
    hostname: { type: 'string' },
    os: { type: ['string', 'null'] },
    personId: { type: ['string', 'null'] },
  },
  ['id'],
)

/** Response schema of one group with a page of its members. */
export const GROUP_DETAIL_SCHEMA: JsonSchema = objectSchema(
  { ...GROUP_PROPERTIES, members: { type: 'array', items: MEMBER_SCHEMA }, nextCursor: { type: ['string', 'null'] } },
  [...Object.keys(GROUP_PROPERTIES), 'members', 'nextCursor'],
)

/** A group as the API shows it. */
export interface GroupView {
  readonly id: string
  readonly kind: string
  readonly name: string
  readonly description: string
  readonly memberCount: number
  readonly createdAt: number
  readonly updatedAt: number
  readonly version: number
}

/**
 * The API view of a groups row and its member count.
 *
 * @example
 * reply.code(201).send(groupView(row, 0))
 */
export function groupView(row: Row<'groups'>, memberCount: number): GroupView {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    description: row.description,
    memberCount,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  }
}
