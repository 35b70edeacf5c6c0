/**
 * Serialises changes to an org's admins, so that rules spanning several
 * rows ("the org keeps an active owner") hold under concurrency: two
 * demotions of the org's last two owners each see the other still owner
 * under READ COMMITTED, and both commit (write skew) unless they queue.
 *
 * PostgreSQL: `SELECT … FOR UPDATE` on the org's row, taken first in the
 * transaction; a second transaction waits there until the first commits,
 * then reads the owners as they are. SQLite: nothing to do, the server
 * holds one connection and Kysely runs its transactions one at a time
 * (and SQLite itself has a single writer).
 */
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { isPostgres } from '../log/org-lock.js'

/**
 * Locks the row of `org` until the transaction `trx` ends (PostgreSQL).
 *
 * @example
 * await withTransaction(db, async (trx) => { await lockOrg(trx, org); await refuseLastOwner(trx, org, id); … })
 */
export async function lockOrg(trx: Kysely<Database>, org: string): Promise<void> {
  if (!isPostgres(trx)) return
  await trx.selectFrom('orgs').select('id').where('id', '=', org).forUpdate().execute()
}
