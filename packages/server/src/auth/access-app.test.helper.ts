/**
 * Test support (not a test file): a real app (migrated SQLite file in a
 * temp dir) with a movable clock, two orgs written straight into the
 * database (`acme`, `globex`), and whatever route plugins a test gives.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Kysely } from 'kysely'
import { buildApp } from '../app.js'
import { openDatabase } from '../db/open.js'
import { testDatabase } from '../db/test-database.test.helper.js'
import type { Database } from '../db/schema.js'
import { captureLogger, testConfig } from '../fixtures.test.helper.js'
import type { RoutePlugin } from '../routes/route-context.js'

/** An app whose access and audit hooks read `clock.now`. */
export interface AccessTestApp {
  readonly app: FastifyInstance
  readonly db: Kysely<Database>
  readonly lines: string[]
  readonly clock: { now: number }
  close(): Promise<void>
}

/**
 * Builds and readies the app (on this run's test database — SQLite in a
 * temp dir, or PostgreSQL under PALISADE_TEST_DATABASE=postgres — unless
 * `databaseUrl` names another database); orgs `acme` and `globex` exist
 * (acme requires no MFA).
 */
export async function accessTestApp(routes: readonly RoutePlugin[], options: { databaseUrl?: string } = {}): Promise<AccessTestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-access-test-'))
  const made = options.databaseUrl === undefined ? await testDatabase('access') : undefined
  const config = testConfig(dir, made?.env ?? { PALISADE_DATABASE_URL: options.databaseUrl as string })
  const db = await openDatabase(config.databaseUrl)
  const { logger, lines } = captureLogger('info')
  const clock = { now: 1_800_000_000_000 }
  const app = buildApp({ config, db, logger, routes, now: () => clock.now })
  await db.insertInto('orgs').values([{ id: 'acme', name: 'Acme', created_at: 1 }, { id: 'globex', name: 'Globex', created_at: 1 }]).execute()
  await app.ready()
  return {
    app,
    db,
    lines,
    clock,
    async close() {
      await app.close()
      await made?.drop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
