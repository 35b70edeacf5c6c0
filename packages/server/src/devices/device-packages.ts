/**
 * The packages a device reported, one row per (device, name, arch) in
 * `device_packages` (migration 0006), so "every device with package P
 * below version V" is an indexed lookup by (org, name) instead of parsing
 * every device's inventory JSON. Like the inventory, a claim of the device,
 * kept for queries and display only. Rows are replaced, in the
 * transaction that stores the inventory, whenever a new one arrives.
 */
import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../db/schema.js'

/** Packages kept per device (an inventory is at most 1 MiB anyway). */
export const MAX_DEVICE_PACKAGES = 20_000

/** Longest package name, version and arch kept; longer entries are skipped. */
export const MAX_PACKAGE_FIELD = 256

/** One installed package as a device reported it. */
export interface ReportedPackage {
  readonly name: string
  readonly version: string
  readonly arch: string
}

/** Rows per multi-row insert (4 values each: well under SQLite's and PostgreSQL's parameter limits). */
const CHUNK = 500

/**
 * The installed packages of an inventory object: its `packages.packages`
 * list (the agent's shape: `{ manager, packages: [{ name, version, arch }] }`)
 * or a bare `packages` list. Entries without a string name and version, or
 * with fields longer than {@link MAX_PACKAGE_FIELD}, are skipped; a repeated
 * (name, arch) keeps its first version; at most {@link MAX_DEVICE_PACKAGES}.
 *
 * @example
 * packagesOf({ packages: { manager: 'dpkg', packages: [{ name: 'openssl', version: '3.0.13-1', arch: 'amd64' }] } })
 * // [{ name: 'openssl', version: '3.0.13-1', arch: 'amd64' }]
 */
export function packagesOf(inventory: Readonly<Record<string, unknown>>): ReportedPackage[] {
  const p = inventory['packages']
  const list = Array.isArray(p) ? p : typeof p === 'object' && p !== null && Array.isArray((p as Record<string, unknown>)['packages']) ? ((p as Record<string, unknown>)['packages'] as unknown[]) : []
  const out: ReportedPackage[] = []
  const seen = new Set<string>()
  for (const e of list) {
    if (out.length >= MAX_DEVICE_PACKAGES) break
    if (typeof e !== 'object' || e === null) continue
    const { name, version, arch } = e as Record<string, unknown>
    if (typeof name !== 'string' || typeof version !== 'string' || name === '' || version === '') continue
    const a = typeof arch === 'string' ? arch : ''
    if (name.length > MAX_PACKAGE_FIELD || version.length > MAX_PACKAGE_FIELD || a.length > MAX_PACKAGE_FIELD) continue
    const key = `${name}\n${a}`
    if (seen.has(key)) continue
    seen.add(key)
    out.push({ name, version, arch: a })
  }
  return out
}

/**
 * Replaces the device's package rows with `packages`. Run it in the
 * transaction that stores the inventory.
 *
 * @example
 * await replaceDevicePackages(trx, 'acme', 'dev-1', packagesOf(inventory))
 */
export async function replaceDevicePackages(
  trx: Transaction<Database> | Kysely<Database>,
  org: string,
  deviceId: string,
  packages: readonly ReportedPackage[],
): Promise<void> {
  await trx.deleteFrom('device_packages').where('device_id', '=', deviceId).execute()
  for (let i = 0; i < packages.length; i += CHUNK) {
    await trx
      .insertInto('device_packages')
      .values(packages.slice(i, i + CHUNK).map((p) => ({ org_id: org, device_id: deviceId, name: p.name, version: p.version, arch: p.arch })))
      .execute()
  }
}
