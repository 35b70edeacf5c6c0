/**
 * Adds and removes members of a group in one transaction, all or nothing:
 * a person may join only a user group and a device only a device group,
 * both of the group's org; an id of another org is "not found", exactly
 * like an id that does not exist. Adding a member twice, or removing a
 * non-member, changes nothing (idempotent).
 *
 * The group row and then the added members' rows are locked before the
 * insert (lock-rows.ts), so a concurrent deletion of the group or of a
 * member can never leave a membership behind. The caller supplies the
 * transaction: the route's, which also records the audit event
 * (audit/audited-transaction.ts).
 */
import type { Transaction } from 'kysely'
import { sql } from 'kysely'
import type { Database } from '../db/schema.js'
import { ServerError } from '../errors.js'
import { lockGroup, lockMembers } from './lock-rows.js'

/** Largest number of ids in one change. */
export const MAX_MEMBER_CHANGE = 1000

/** What to change, and where each id came from (for naming the first bad one). */
export interface MembershipChange {
  readonly add: readonly string[]
  readonly remove: readonly string[]
  /** The request field naming `add[i]` (`/body/add/3`, `/params/memberId`). */
  readonly addPath: (i: number) => string
}

/** What a change did. */
export interface MembershipResult {
  readonly added: number
  readonly removed: number
  readonly memberCount: number
}

const CHUNK = 500

/**
 * Applies `change` to group `groupId` of `org`. Throws SRV_NOT_FOUND (no such group, or the
 * first id to add that is not a member candidate of the org) or SRV_VALIDATION (a device for
 * a user group or a person for a device group), naming the field; nothing is written then.
 *
 * @example
 * await withTransaction(db, (trx) => changeMembers(trx, 'acme', groupId, { add: [adaId], remove: [], addPath: (i) => `/body/add/${i}` }, Date.now()))
 */
export async function changeMembers(trx: Transaction<Database>, org: string, groupId: string, change: MembershipChange, now: number): Promise<MembershipResult> {
  const kind = await lockGroup(trx, org, groupId)
  if (kind === undefined) throw new ServerError('SRV_NOT_FOUND', `no group ${groupId} in this org`)
  const found = await lockMembers(trx, org, kind, change.add)
  const missing = change.add.findIndex((id) => !found.has(id))
  if (missing >= 0) throw await notAMember(trx, org, kind, change.add[missing]!, change.addPath(missing))

  let added = 0
  const toAdd = [...new Set(change.add)]
  for (let i = 0; i < toAdd.length; i += CHUNK) {
    const rows = toAdd.slice(i, i + CHUNK).map((member_id) => ({ group_id: groupId, member_id, org_id: org, added_at: now }))
    const result = await trx.insertInto('group_members').values(rows).onConflict((oc) => oc.columns(['group_id', 'member_id']).doNothing()).executeTakeFirst()
    added += Number(result.numInsertedOrUpdatedRows ?? 0n)
  }
  let removed = 0
  const toRemove = [...new Set(change.remove)]
  for (let i = 0; i < toRemove.length; i += CHUNK) {
    const result = await trx.deleteFrom('group_members').where('group_id', '=', groupId).where('member_id', 'in', toRemove.slice(i, i + CHUNK)).executeTakeFirst()
    removed += Number(result.numDeletedRows)
  }
  const count = await trx.selectFrom('group_members').select(sql<number>`count(*)`.as('n')).where('group_id', '=', groupId).executeTakeFirstOrThrow()
  return { added, removed, memberCount: Number(count.n) }
}

/** The error for an id that cannot join a group of `kind`: of the other kind (400), or not in the org at all (404). */
async function notAMember(trx: Transaction<Database>, org: string, kind: 'user' | 'device', id: string, path: string): Promise<ServerError> {
  const other = kind === 'user'
    ? await trx.selectFrom('devices').select('id').where('org_id', '=', org).where('id', '=', id).executeTakeFirst()
    : await trx.selectFrom('people').select('id').where('org_id', '=', org).where('id', '=', id).executeTakeFirst()
  if (other !== undefined) {
    const message = kind === 'user' ? `${id} is a device; a user group holds people` : `${id} is a person; a device group holds devices`
    return new ServerError('SRV_VALIDATION', message, { errors: [{ path, message }] })
  }
  const what = kind === 'user' ? 'person' : 'device'
  return new ServerError('SRV_NOT_FOUND', `no ${what} ${id} in this org`, { errors: [{ path, message: `no ${what} ${id} in this org` }] })
}
