/**
 * This deployment's name (migration 0008): one random id per database,
 * the same for every node and worker on it. The NATS bus scopes its
 * subjects with it (bus/nats-bus.ts).
 */
import type { Kysely } from 'kysely'
import { ServerError } from '../errors.js'
import type { Database } from './schema.js'

/** What a deployment id looks like: a NATS subject token, and what 0008 makes (16 hex digits) fits it. */
export const DEPLOYMENT_ID_RE = /^[A-Za-z0-9_-]{1,64}$/

/**
 * Reads the deployment id; a database without one (not migrated to 0008)
 * or with a malformed one is refused, naming the cause.
 *
 * @example
 * const deployment = await deploymentId(db) // e.g. '3f9c0a7e21b4d865'
 */
export async function deploymentId(db: Kysely<Database>): Promise<string> {
  let rows: { id: string }[]
  try {
    rows = await db.selectFrom('deployment').select('id').execute()
  } catch (e) {
    // No such table: the database predates 0008 (a worker started on a database no one migrated).
    throw new ServerError('SRV_UNAVAILABLE', 'the database has no deployment table: migrate it first (start one server with migrations)', { cause: e })
  }
  if (rows.length !== 1) {
    throw new ServerError('SRV_UNAVAILABLE', `the database holds ${rows.length} deployment ids, not one: migrate it (start one server with migrations) and do not edit the deployment table`)
  }
  const id = rows[0]!.id
  if (!DEPLOYMENT_ID_RE.test(id)) throw new ServerError('SRV_UNAVAILABLE', 'the database\'s deployment id is malformed (expected up to 64 letters, digits, "_" or "-")')
  return id
}
