/**
 * Test support shared by the server's tests (not a test file itself: the
 * runner picks up `*.test.js` only, and package.json `files` excludes
 * `*.test.*` from the published package).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import type { Kysely } from 'kysely'
import { buildApp } from './app.js'
import { loadConfig, type LogLevel, type ServerConfig } from './config.js'
import { openDatabase } from './db/open.js'
import type { Database } from './db/schema.js'
import { createLogger } from './logger.js'
import { testDatabase } from './db/test-database.test.helper.js'

/** A fresh temporary directory, removed when the test ends. */
export function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-server-test-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** A valid config whose data lives in `dir`; extra env entries override. */
export function testConfig(dir: string, env: Record<string, string> = {}): ServerConfig {
  return loadConfig({ env: { PALISADE_DATA_DIR: dir, PALISADE_LOG_LEVEL: 'silent', ...env }, argv: [], cwd: dir })
}

/** A redacting logger that keeps its JSON lines in memory. */
export function captureLogger(level: LogLevel = 'info'): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = []
  return { logger: createLogger(level, { write: (s: string) => void lines.push(s) }), lines }
}

/** A test app and what it was built from. */
export interface TestApp {
  readonly app: FastifyInstance
  readonly db: Kysely<Database>
  /** Every log line written so far, redacted as in production. */
  readonly lines: string[]
  readonly config: ServerConfig
  /** Closes the app (and its database) and removes its directory. */
  dispose(): Promise<void>
}

/**
 * An app on a migrated database (a SQLite file in a temp dir, or a fresh
 * PostgreSQL database under PALISADE_TEST_DATABASE=postgres), with a
 * capturing logger and an optional extra plugin (registered after the real
 * routes).
 */
export async function createTestApp(options: { plugin?: FastifyPluginAsync; logLevel?: LogLevel } = {}): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-server-test-'))
  const made = await testDatabase()
  const config = testConfig(dir, made.env)
  const db = await openDatabase(config.databaseUrl)
  const { logger, lines } = captureLogger(options.logLevel ?? 'info')
  const app = buildApp({ config, db, logger })
  if (options.plugin !== undefined) void app.register(options.plugin)
  const dispose = async (): Promise<void> => {
    await app.close()
    await made.drop()
    rmSync(dir, { recursive: true, force: true })
  }
  return { app, db, lines, config, dispose }
}

/** {@link createTestApp}, disposed when the test ends. */
export async function testApp(t: TestContext, options: { plugin?: FastifyPluginAsync; logLevel?: LogLevel } = {}): Promise<TestApp> {
  const made = await createTestApp(options)
  t.after(() => made.dispose())
  return made
}
