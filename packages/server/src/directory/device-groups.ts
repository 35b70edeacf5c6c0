/**
 * The device groups a device is in, for the device routes
 * (devices/devices-route.ts shows them beside `personId`).
 */
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'

/**
 * The groups of device `id` of `org`, by name.
 *
 * @example
 * await groupsOfDevice(db, 'acme', deviceId) // [{ id: 'group-…', name: 'Laptops' }]
 */
export async function groupsOfDevice(db: Kysely<Database>, org: string, id: string): Promise<{ id: string; name: string }[]> {
  return db
    .selectFrom('group_members as m')
    .innerJoin('groups as g', 'g.id', 'm.group_id')
    .select(['g.id', 'g.name'])
    .where('m.org_id', '=', org)
    .where('m.member_id', '=', id)
    .where('g.kind', '=', 'device')
    .orderBy('g.name_key')
    .orderBy('g.id')
    .execute()
}

/**
 * The group ids of every device of `org` that is in a group (one query for a whole device list).
 *
 * @example
 * const ids = await deviceGroupIds(db, 'acme'); ids.get(deviceId) ?? []
 */
export async function deviceGroupIds(db: Kysely<Database>, org: string): Promise<Map<string, string[]>> {
  const rows = await db
    .selectFrom('group_members as m')
    .innerJoin('groups as g', 'g.id', 'm.group_id')
    .select(['m.member_id', 'm.group_id'])
    .where('m.org_id', '=', org)
    .where('g.kind', '=', 'device')
    .orderBy('m.member_id')
    .orderBy('m.group_id')
    .execute()
  const out = new Map<string, string[]>()
  for (const r of rows) {
    const list = out.get(r.member_id)
    if (list === undefined) out.set(r.member_id, [r.group_id])
    else list.push(r.group_id)
  }
  return out
}
