/**
 * Row locks that make membership changes and deletions serialise, on both
 * databases, without a dialect switch: an UPDATE that changes nothing
 * (`SET version = version`) takes the row's write lock on PostgreSQL (held
 * until commit; a concurrent DELETE waits, and a concurrent writer that
 * waited re-reads and finds the row gone), and makes the transaction a
 * writer on SQLite, where writers are serialised anyway.
 *
 * Why it is needed: group_members.member_id names a person or a device and
 * so has no foreign key. Without the lock, "add Ada to Eng" could check that
 * Ada exists, "delete Ada" could then delete her memberships and her row
 * and commit, and the add would commit a membership of nobody. With it, the
 * add locks Ada's row before inserting, and the delete removes her row
 * first (taking the same lock) and her memberships after: whichever runs
 * second sees the first's result. Lock order is always group, then members.
 */
import type { Transaction } from 'kysely'
import type { Database } from '../db/schema.js'

const CHUNK = 500

/**
 * Locks the group `id` of `org`; its kind, or undefined when there is no such group in the org.
 *
 * @example
 * const kind = await lockGroup(trx, 'acme', groupId)
 */
export async function lockGroup(trx: Transaction<Database>, org: string, id: string): Promise<'user' | 'device' | undefined> {
  const row = await trx
    .updateTable('groups')
    .set((eb) => ({ version: eb.ref('version') }))
    .where('org_id', '=', org)
    .where('id', '=', id)
    .returning('kind')
    .executeTakeFirst()
  return row?.kind
}

/**
 * Locks the people (kind 'user') or devices (kind 'device') among `ids` that belong to `org`; returns those found.
 *
 * @example
 * const found = await lockMembers(trx, 'acme', 'user', ['person-1', 'person-2'])
 */
export async function lockMembers(trx: Transaction<Database>, org: string, kind: 'user' | 'device', ids: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>()
  // Sorted, so two transactions locking overlapping sets take the locks in the same order.
  const sorted = [...new Set(ids)].sort()
  for (let i = 0; i < sorted.length; i += CHUNK) {
    const chunk = sorted.slice(i, i + CHUNK)
    const rows = kind === 'user'
      ? await trx.updateTable('people').set((eb) => ({ version: eb.ref('version') })).where('org_id', '=', org).where('id', 'in', chunk).returning('id').execute()
      : await trx.updateTable('devices').set((eb) => ({ person_id: eb.ref('person_id') })).where('org_id', '=', org).where('id', 'in', chunk).returning('id').execute()
    for (const r of rows) found.add(r.id)
  }
  return found
}
