/**
 * 0006 — device packages as rows (issue #7, inventory query): one row per
 * (device, package name, arch) with the reported version, indexed by
 * (org, name), so "every device with openssl below 3.0.14" reads the
 * devices that have openssl instead of every device's inventory JSON.
 * Filled from the inventories already stored, then kept in step whenever
 * an inventory arrives (devices/device-packages.ts).
 */
import type { Kysely, Migration } from 'kysely'
import { packagesOf } from '../../devices/device-packages.js'
import type { ColumnTypes } from './column-types.js'

/** Builds migration 0006 for a dialect's column types. */
export function devicePackagesMigration(_t: ColumnTypes): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.createTable('device_packages')
        .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
        .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('arch', 'text', (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('device_packages_pk', ['device_id', 'name', 'arch'])
        .execute()
      await db.schema.createIndex('device_packages_org_name_idx').on('device_packages').columns(['org_id', 'name']).execute()
      // Backfill, a page of devices at a time (inventories are up to 1 MiB each).
      let after = ''
      for (;;) {
        const rows: { id: string; org_id: string; inventory: string }[] = await db
          .selectFrom('devices')
          .select(['id', 'org_id', 'inventory'])
          .where('inventory', 'is not', null)
          .where('id', '>', after)
          .orderBy('id')
          .limit(100)
          .execute()
        if (rows.length === 0) break
        for (const r of rows) {
          let inventory: unknown
          try {
            inventory = JSON.parse(r.inventory)
          } catch {
            continue // stored by encodeInventory, so always JSON; a hand-edited row is skipped, not fatal
          }
          if (typeof inventory !== 'object' || inventory === null || Array.isArray(inventory)) continue
          const packages = packagesOf(inventory as Record<string, unknown>)
          for (let i = 0; i < packages.length; i += 500) {
            await db
              .insertInto('device_packages')
              .values(packages.slice(i, i + 500).map((p) => ({ org_id: r.org_id, device_id: r.id, name: p.name, arch: p.arch, version: p.version })))
              .execute()
          }
        }
        after = rows[rows.length - 1]!.id
      }
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('device_packages').execute()
    },
  }
}
