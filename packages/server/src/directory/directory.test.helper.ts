/**
 * Test support for the directory (not a test file): a real app with every
 * route on a real database — a SQLite file always, and a throwaway
 * PostgreSQL database when one answers at 127.0.0.1:5432 (or
 * PALISADE_TEST_POSTGRES_URL) — with two orgs, `acme` and `globex`, and API
 * keys of each scope. Devices are written straight into the table: how a
 * device enrolls is not what these tests are about.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Kysely } from 'kysely'
import { buildApp } from '../app.js'
import { createApiKey } from '../auth/api-key.js'
import { openDatabase } from '../db/open.js'
import { freshPostgres, POSTGRES_SKIP, type FreshPostgres } from '../db/postgres.test.helper.js'
import { SQLITE_HALF } from '../db/test-database.test.helper.js'
import type { Database } from '../db/schema.js'
import { captureLogger, testConfig } from '../fixtures.test.helper.js'

/** A database the directory tests run on. */
export type Backend = 'sqlite' | 'postgres'

export { POSTGRES_SKIP }

/** The backends to run on, each with its skip reason (false: run); a PostgreSQL run (PALISADE_TEST_DATABASE) skips the SQLite half. */
export const BACKENDS: readonly (readonly [Backend, string | false])[] = [['sqlite', SQLITE_HALF], ['postgres', POSTGRES_SKIP]]

/** A directory test app. */
export interface DirectoryApp {
  readonly app: FastifyInstance
  readonly db: Kysely<Database>
  readonly lines: string[]
  /** `authorization` headers of acme keys by scope, and of a globex admin key. */
  readonly keys: { readonly admin: Auth; readonly directory: Auth; readonly read: Auth; readonly devices: Auth; readonly globex: Auth }
  /** Injects with acme's admin key unless `headers` says otherwise. */
  call(method: Method, url: string, payload?: unknown, headers?: Auth): Promise<{ status: number; body: any }>
  close(): Promise<void>
}

type Auth = { readonly authorization: string }
type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/**
 * Builds and readies the app on `backend`.
 *
 * @example
 * const d = await directoryApp('sqlite')
 * after(() => d.close())
 */
export async function directoryApp(backend: Backend): Promise<DirectoryApp> {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-directory-test-'))
  const fresh: FreshPostgres | undefined = backend === 'postgres' ? await freshPostgres('dir') : undefined
  const config = testConfig(dir, fresh === undefined ? {} : { PALISADE_DATABASE_URL: fresh.url })
  const db = await openDatabase(config.databaseUrl)
  const { logger, lines } = captureLogger('info')
  const app = buildApp({ config, db, logger })
  await db.insertInto('orgs').values([{ id: 'acme', name: 'Acme', created_at: 1 }, { id: 'globex', name: 'Globex', created_at: 1 }]).execute()
  await app.ready()
  const key = async (org: string, scope: string): Promise<Auth> => ({ authorization: `Bearer ${(await createApiKey(db, org, `${scope} key`, [scope])).key}` })
  const keys = {
    admin: await key('acme', 'admin'),
    directory: await key('acme', 'directory'),
    read: await key('acme', 'read'),
    devices: await key('acme', 'devices'),
    globex: await key('globex', 'admin'),
  }
  return {
    app,
    db,
    lines,
    keys,
    async call(method, url, payload, headers = keys.admin) {
      const res = await app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) })
      return { status: res.statusCode, body: res.body === '' ? undefined : res.json() }
    },
    async close() {
      await app.close()
      rmSync(dir, { recursive: true, force: true })
      await fresh?.drop()
    },
  }
}

/** Inserts a device of `org` (as enrollment would) and returns its id. */
export async function insertDevice(db: Kysely<Database>, org: string, hostname = `host-${randomBytes(3).toString('hex')}`): Promise<string> {
  const id = `dev-${randomBytes(10).toString('hex')}`
  await db.insertInto('devices').values({ id, org_id: org, public_key: randomBytes(32).toString('base64'), hostname, enrolled_at: Date.now() }).execute()
  return id
}
