/**
 * How admins appear in answers: never a hash, a sealed secret or a lock
 * counter, only who they are.
 */
import type { Row } from '../db/schema.js'

/** The public face of an admin account. */
export interface AdminView {
  readonly id: string
  readonly username: string
  readonly name: string
  readonly email: string
}

/** The JSON schema of {@link AdminView}. */
export const ADMIN_VIEW_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'username', 'name', 'email'],
  properties: { id: { type: 'string' }, username: { type: 'string' }, name: { type: 'string' }, email: { type: 'string' } },
} as const

/**
 * The view of an admins row.
 *
 * @example
 * reply.send({ admin: adminView(row) })
 */
export function adminView(row: Pick<Row<'admins'>, 'id' | 'username' | 'name' | 'email'>): AdminView {
  return { id: row.id, username: row.username, name: row.name, email: row.email }
}
