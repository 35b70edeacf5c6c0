/**
 * GET /v1/orgs/:org/devices and GET /v1/orgs/:org/devices/:id — the org's
 * enrolled devices. `online` says whether the device holds a gateway
 * connection right now, to any server node (shared presence,
 * presence/node-presence.ts: read in the same query as the page, the same
 * answer on every node); `lastSeenAt` is when it last authenticated or
 * reported. Inventory is the device's own claim.
 *
 * Inventory query: `?package=openssl` lists only the devices that reported
 * that package, each with its installations (`packages`: version, arch);
 * `&below=3.0.14` keeps only installations older than that version in
 * dpkg order (package-version.ts). Answered from device_packages (one
 * indexed lookup by org and name), not from the inventory JSON.
 */
import { orgAccess } from '../auth/access.js'
import { orgOf } from '../auth/request-principal.js'
import { NO_QUERY } from '../http/schemas.js'
import { ServerError } from '../errors.js'
import { ORG_ENTITY_PARAMS, ORG_PARAMS } from '../commands/route-params.js'
import type { RoutePlugin } from '../routes/route-context.js'
import { deviceGroupIds, groupsOfDevice } from '../directory/device-groups.js'
import { objectSchema } from '../http/schemas.js'
import { compareVersions } from './package-version.js'
import { MAX_PACKAGE_FIELD } from './device-packages.js'

/** `?package=&below=`: a package name and a version as package managers write them; `below` needs `package`. */
const LIST_QUERY = {
  ...objectSchema({
    package: { type: 'string', minLength: 1, maxLength: MAX_PACKAGE_FIELD, pattern: '^[A-Za-z0-9][A-Za-z0-9.+_@:~-]*$' },
    below: { type: 'string', minLength: 1, maxLength: MAX_PACKAGE_FIELD, pattern: '^[A-Za-z0-9][A-Za-z0-9.+_:~^-]*$' },
  }),
  dependencies: { below: ['package'] },
}

const INSTALLED = {
  type: 'array',
  items: { type: 'object', additionalProperties: false, required: ['version', 'arch'], properties: { version: { type: 'string' }, arch: { type: 'string' } } },
}

const NULLABLE_INT = { type: ['integer', 'null'] }

const DEVICE_SUMMARY = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'hostname', 'enrolledAt', 'lastSeenAt', 'online', 'os', 'personId', 'groupIds'],
  properties: {
    // The person the device is bound to and its device groups (directory/).
    personId: { type: ['string', 'null'] },
    groupIds: { type: 'array', items: { type: 'string' } },
    id: { type: 'string' },
    hostname: { type: 'string' },
    enrolledAt: { type: 'integer' },
    lastSeenAt: NULLABLE_INT,
    online: { type: 'boolean' },
    os: { type: ['string', 'null'] },
    // Only with ?package=: the matching installations.
    packages: INSTALLED,
  },
}

const DEVICE = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'hostname', 'publicKey', 'enrolledAt', 'lastSeenAt', 'online', 'inventory', 'inventoryAt', 'personId', 'groups'],
  properties: {
    personId: { type: ['string', 'null'] },
    groups: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['id', 'name'], properties: { id: { type: 'string' }, name: { type: 'string' } } } },
    id: { type: 'string' },
    hostname: { type: 'string' },
    publicKey: { type: 'string' },
    enrolledAt: { type: 'integer' },
    lastSeenAt: NULLABLE_INT,
    online: { type: 'boolean' },
    // The agent's inventory object, passed through as stored.
    inventory: { anyOf: [{ type: 'object', additionalProperties: true }, { type: 'null' }] },
    inventoryAt: NULLABLE_INT,
  },
}

/** A device in a list (DEVICE_SUMMARY). */
interface DeviceSummary {
  readonly id: string
  readonly hostname: string
  readonly enrolledAt: number
  readonly lastSeenAt: number | null
  readonly online: boolean
  readonly os: string | null
  readonly personId: string | null
  readonly groupIds: readonly string[]
}

function summaryOf(
  r: { id: string; hostname: string; enrolled_at: number; last_seen_at: number | null; os: string | null; person_id: string | null; online: 0 | 1 },
  groupIds: readonly string[],
): DeviceSummary {
  return { id: r.id, hostname: r.hostname, enrolledAt: r.enrolled_at, lastSeenAt: r.last_seen_at, online: r.online === 1, os: r.os, personId: r.person_id, groupIds }
}

/** The device routes. */
export const devicesRoutes: RoutePlugin = async (app, { db, gateway }) => {
  app.get(
    '/v1/orgs/:org/devices',
    {
      config: { access: orgAccess('read') },
      schema: {
        params: ORG_PARAMS,
        querystring: LIST_QUERY,
        response: {
          200: { type: 'object', additionalProperties: false, required: ['devices'], properties: { devices: { type: 'array', items: DEVICE_SUMMARY } } },
        },
      },
    },
    async (request) => {
      const org = orgOf(request)
      const query = request.query as { package?: string; below?: string }
      if (query.package !== undefined) return { devices: await withPackage(org, query.package, query.below) }
      const rows = await db
        .selectFrom('devices')
        .select(['id', 'hostname', 'enrolled_at', 'last_seen_at', 'os', 'person_id', gateway.presence.online('devices.id').as('online')])
        .where('org_id', '=', org)
        .orderBy('hostname')
        .orderBy('id')
        .execute()
      const groupIds = await deviceGroupIds(db, org)
      return { devices: rows.map((r) => summaryOf(r, groupIds.get(r.id) ?? [])) }
    },
  )

  /** The devices of `org` with package `name` (below version `below`), in the list's order. */
  async function withPackage(org: string, name: string, below: string | undefined) {
    const rows = await db
      .selectFrom('device_packages as p')
      .innerJoin('devices as d', 'd.id', 'p.device_id')
      .select(['d.id', 'd.hostname', 'd.enrolled_at', 'd.last_seen_at', 'd.os', 'd.person_id', 'p.version', 'p.arch', gateway.presence.online('d.id').as('online')])
      .where('p.org_id', '=', org)
      .where('p.name', '=', name)
      .orderBy('d.hostname')
      .orderBy('d.id')
      .orderBy('p.arch')
      .execute()
    const matching = below === undefined ? rows : rows.filter((r) => compareVersions(r.version, below) < 0)
    if (matching.length === 0) return []
    const groupIds = await deviceGroupIds(db, org)
    const out: (DeviceSummary & { packages: { version: string; arch: string }[] })[] = []
    for (const r of matching) {
      const last = out[out.length - 1]
      if (last !== undefined && last.id === r.id) last.packages.push({ version: r.version, arch: r.arch })
      else out.push({ ...summaryOf(r, groupIds.get(r.id) ?? []), packages: [{ version: r.version, arch: r.arch }] })
    }
    return out
  }

  app.get(
    '/v1/orgs/:org/devices/:id',
    {
      config: { access: orgAccess('read') },
      schema: { params: ORG_ENTITY_PARAMS, querystring: NO_QUERY, response: { 200: DEVICE } },
    },
    async (request) => {
      const org = orgOf(request)
      const { id } = request.params as { id: string }
      const r = await db
        .selectFrom('devices')
        .selectAll()
        .select(gateway.presence.online('devices.id').as('online'))
        .where('org_id', '=', org)
        .where('id', '=', id)
        .executeTakeFirst()
      if (r === undefined) throw new ServerError('SRV_NOT_FOUND', `no device ${id} in this org`)
      return {
        id: r.id,
        hostname: r.hostname,
        publicKey: r.public_key,
        enrolledAt: r.enrolled_at,
        lastSeenAt: r.last_seen_at,
        online: r.online === 1,
        inventory: r.inventory === null ? null : (JSON.parse(r.inventory) as unknown),
        inventoryAt: r.inventory_at,
        personId: r.person_id,
        groups: await groupsOfDevice(db, org, r.id),
      }
    },
  )
}
