/**
 * Test support for console accounts (not a test file): a real app with
 * every route (SQLite file in a temp dir, the real access and audit hooks)
 * whose accounts, API-key, access and audit code all read one movable
 * clock; orgs written straight into the database; admins made through the
 * real account code; sign-in through POST /v1/auth/login.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import assert from 'node:assert/strict'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import type { Kysely } from 'kysely'
import { buildApp } from '../app.js'
import type { Role } from '../auth/access.js'
import { createApiKey } from '../auth/api-key.js'
import type { ServerConfig } from '../config.js'
import { openDatabase } from '../db/open.js'
import type { Database } from '../db/schema.js'
import { freshPostgres, POSTGRES_SKIP } from '../db/postgres.test.helper.js'
import { SQLITE_HALF, TEST_DATABASE } from '../db/test-database.test.helper.js'
import { captureLogger, testConfig } from '../fixtures.test.helper.js'
import { ROUTES } from '../routes/index.js'
import { apiKeysRoutes } from '../api-keys/api-keys-routes.js'
import { accountsRoutes, type AccountsRoutesOptions } from './accounts-routes.js'
import { grantRole, insertAdmin } from './create-admin.js'
import { hashPassword } from './password-hash.js'

export { POSTGRES_SKIP }

/** The backends account tests run on, each with its skip reason (false: run); a PostgreSQL run (PALISADE_TEST_DATABASE) skips the SQLite half. */
export const BACKENDS: readonly (readonly ['sqlite' | 'postgres', string | false])[] = [['sqlite', SQLITE_HALF], ['postgres', POSTGRES_SKIP]]

/** A password that passes the policy for any test username. */
export const GOOD_PASSWORD = 'plum tractor sandwich 42'

/** The test app. */
export interface AccountsApp {
  readonly app: FastifyInstance
  readonly db: Kysely<Database>
  readonly config: ServerConfig
  /** Every log line written, redacted as in production. */
  readonly lines: string[]
  /** The clock every hook and route reads; move `now` to pass time. */
  readonly clock: { now: number }
  /** Authorization header of an `admin`-scope API key of org `acme`. */
  readonly acmeKey: { readonly authorization: string }
}

/** Where cleanups go. */
export interface Cleanup {
  after(fn: () => unknown): void
}

/**
 * Builds and readies the app; orgs `acme` and `globex` exist, and an
 * admin-scope API key of acme.
 */
export async function accountsApp(
  t: Cleanup,
  options: Omit<AccountsRoutesOptions, 'now'> & { env?: Record<string, string>; backend?: 'sqlite' | 'postgres' } = {},
): Promise<AccountsApp> {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-accounts-test-'))
  // With no backend named, this run's (PALISADE_TEST_DATABASE) database.
  const fresh = (options.backend ?? TEST_DATABASE) === 'postgres' ? await freshPostgres('accounts') : undefined
  const config = testConfig(dir, { ...(options.env ?? {}), ...(fresh === undefined ? {} : { PALISADE_DATABASE_URL: fresh.url }) })
  const db = await openDatabase(config.databaseUrl)
  const { logger, lines } = captureLogger('trace')
  const clock = { now: Date.now() }
  const now = (): number => clock.now
  const { env: _env, backend: _backend, ...accountOptions } = options
  const routes = [
    ...ROUTES.filter((r) => r.name !== 'accountsPlugin' && r.name !== 'apiKeysPlugin'),
    accountsRoutes({ ...accountOptions, now }),
    apiKeysRoutes({ now }),
  ]
  const app = buildApp({ config, db, logger, routes, now })
  t.after(async () => {
    await app.close()
    await fresh?.drop()
    rmSync(dir, { recursive: true, force: true })
  })
  await db.insertInto('orgs').values([{ id: 'acme', name: 'Acme', created_at: 1 }, { id: 'globex', name: 'Globex', created_at: 1 }]).execute()
  await app.ready()
  const key = await createApiKey(db, 'acme', 'test admin key', ['admin'], { now: clock.now })
  return { app, db, config, lines, clock, acmeKey: { authorization: `Bearer ${key.key}` } }
}

/** Creates an account (with `password`) holding `role` in each of `orgs`; returns its id. */
export async function addAdmin(
  a: Pick<AccountsApp, 'db' | 'clock'>,
  username: string,
  roles: Readonly<Record<string, Role>> = { acme: 'owner' },
  password = GOOD_PASSWORD,
): Promise<string> {
  const id = await insertAdmin(a.db, { username, email: `${username}@example.com`, name: username, passwordHash: await hashPassword(password) }, a.clock.now, '/body')
  for (const [org, role] of Object.entries(roles)) await grantRole(a.db, id, org, role, a.clock.now)
  return id
}

/** A signed-in console session: headers to send, and what login answered. */
export interface TestSession {
  /** cookie + x-csrf-token: send with every request. */
  readonly headers: { readonly cookie: string; readonly 'x-csrf-token': string }
  readonly token: string
  readonly csrfToken: string
  readonly body: Record<string, any>
  readonly res: LightMyRequestResponse
}

/** POST /v1/auth/login with `body`; the raw response. */
export function postLogin(a: Pick<AccountsApp, 'app'>, body: Record<string, unknown>, remoteAddress = '127.0.0.1'): Promise<LightMyRequestResponse> {
  return a.app.inject({ method: 'POST', url: '/v1/auth/login', payload: body, remoteAddress })
}

/** Signs in (asserting success) and returns the session. */
export async function login(a: Pick<AccountsApp, 'app'>, username: string, extra: Record<string, unknown> = {}, password = GOOD_PASSWORD): Promise<TestSession> {
  const res = await postLogin(a, { username, password, ...extra })
  assert.equal(res.statusCode, 200, res.body)
  const cookie = String(res.headers['set-cookie'])
  const token = /^palisade_session=([A-Za-z0-9_-]{43});/.exec(cookie)?.[1]
  assert.ok(token !== undefined, cookie)
  const body = res.json() as Record<string, any>
  return { headers: { cookie: `palisade_session=${token}`, 'x-csrf-token': body['csrfToken'] }, token, csrfToken: body['csrfToken'], body, res }
}

/** The audit events of `action`, oldest first. */
export async function auditEvents(db: Kysely<Database>, action: string) {
  return db.selectFrom('audit_events').selectAll().where('action', '=', action).orderBy('created_at').orderBy('id').execute()
}
