/**
 * Commands aimed at device groups: `targetGroupIds` in a command draft is
 * resolved, when the draft is made, into the exact device list that the
 * payload names and the admins sign (`devices` targets up to
 * MAX_EXPLICIT_TARGETS ids, a Merkle commitment beyond). The group is a
 * convenience of the draft only: a signed command lists devices, so a group
 * changed later — by anyone, including a breached server — never changes
 * which devices a signed command may run on.
 */
import { merkleTargets, toBase64 } from '@palisade/protocol'
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { ServerError } from '../errors.js'

/**
 * Most ids a `devices` target may list: protocol's MAX_EXPLICIT_TARGETS
 * (command/payload.ts, not exported by its index); beyond it, a Merkle
 * commitment. A mismatch would be caught by prepareCommand's parse.
 */
const MAX_EXPLICIT_TARGETS = 1000

/** Largest number of groups one command may target. */
export const MAX_TARGET_GROUPS = 100

/** A command draft as posted, possibly naming groups instead of targets. */
export interface GroupTargetedDraft {
  readonly payload: unknown
  readonly targetIds?: readonly string[]
  readonly targetGroupIds?: readonly string[]
}

/**
 * The draft with `targetGroupIds` replaced by the payload's `targets` (and
 * `targetIds` for a Merkle commitment); a draft without groups is returned
 * as is. Throws SRV_VALIDATION / SRV_NOT_FOUND naming the field.
 *
 * @example
 * const draft = await expandTargetGroups(db, 'acme', { payload: { …no targets… }, targetGroupIds: [laptops] })
 * // draft.payload.targets: { kind: 'devices', ids: ['dev-…', 'dev-…'] }
 */
export async function expandTargetGroups(
  db: Kysely<Database>,
  org: string,
  draft: GroupTargetedDraft,
): Promise<{ readonly payload: unknown; readonly targetIds?: readonly string[] }> {
  const { targetGroupIds, ...rest } = draft
  if (targetGroupIds === undefined) return rest
  const payload = draft.payload
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return rest
  if ('targets' in payload) invalid('/body/payload/targets', 'must be absent when targetGroupIds is given: the server fills it with the groups\' devices')
  if (draft.targetIds !== undefined) invalid('/body/targetIds', 'cannot be combined with targetGroupIds')
  if (targetGroupIds.length === 0) invalid('/body/targetGroupIds', 'must name at least one device group')

  const groups = await db.selectFrom('groups').select(['id', 'kind']).where('org_id', '=', org).where('id', 'in', [...targetGroupIds]).execute()
  const kinds = new Map(groups.map((g) => [g.id, g.kind]))
  for (const [i, id] of targetGroupIds.entries()) {
    const kind = kinds.get(id)
    const path = `/body/targetGroupIds/${i}`
    if (kind === undefined) throw new ServerError('SRV_NOT_FOUND', `no group ${id} in this org`, { errors: [{ path, message: `no group ${id} in this org` }] })
    if (kind !== 'device') invalid(path, `${id} is a user group; commands target device groups`)
  }
  const rows = await db
    .selectFrom('group_members as m')
    .innerJoin('devices as d', 'd.id', 'm.member_id')
    .select('d.id')
    .distinct()
    .where('m.group_id', 'in', [...targetGroupIds])
    .where('d.org_id', '=', org)
    .execute()
  const ids = rows.map((r) => r.id).sort()
  if (ids.length === 0) invalid('/body/targetGroupIds', 'the groups hold no devices')
  if (ids.length <= MAX_EXPLICIT_TARGETS) return { payload: { ...payload, targets: { kind: 'devices', ids } } }
  const merkle = merkleTargets(ids)
  if (merkle.kind !== 'merkle') throw new ServerError('SRV_INTERNAL', 'merkleTargets returned no commitment')
  return { payload: { ...payload, targets: { kind: 'merkle', root: toBase64(merkle.root), count: merkle.count } }, targetIds: ids }
}

function invalid(path: string, message: string): never {
  throw new ServerError('SRV_VALIDATION', `the command draft is invalid: ${path} ${message}`, { errors: [{ path, message }] })
}
