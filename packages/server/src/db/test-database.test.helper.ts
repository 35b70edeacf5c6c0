/**
 * Test support (not a test file): the one switch that moves the server's
 * storage tests to PostgreSQL. Unset (or `sqlite`), every helper that makes
 * a server database makes a SQLite file, as always; with
 * `PALISADE_TEST_DATABASE=postgres` each one makes a fresh PostgreSQL
 * database instead (see postgres.test.helper.ts), dropped when its test
 * ends, so the same tests check both dialects unchanged.
 * scripts/run-tests.mjs runs the server suite a second time with it.
 */

/** The database family a test run's server storage uses. */
export type TestDatabaseFamily = 'sqlite' | 'postgres'

/**
 * The family PALISADE_TEST_DATABASE names. Anything else is refused at
 * import, naming the variable: a typo must not quietly test SQLite again.
 *
 * @example
 * parseTestDatabase(undefined) // 'sqlite'
 */
export function parseTestDatabase(value: string | undefined): TestDatabaseFamily {
  if (value === undefined || value === '' || value === 'sqlite') return 'sqlite'
  if (value === 'postgres') return 'postgres'
  throw new RangeError(`PALISADE_TEST_DATABASE must be sqlite or postgres, not ${JSON.stringify(value)}`)
}

/** This run's family. */
export const TEST_DATABASE: TestDatabaseFamily = parseTestDatabase(process.env['PALISADE_TEST_DATABASE'])

/**
 * The skip reason of a test about SQLite itself (pragmas, file modes, the
 * SQLite open path) on a PostgreSQL run; false on a SQLite run.
 */
export const SQLITE_ONLY: string | false =
  TEST_DATABASE === 'postgres' ? 'about SQLite itself, and this run is on PostgreSQL (PALISADE_TEST_DATABASE=postgres)' : false

/**
 * The skip reason of the SQLite half of a test that already runs on both
 * backends side by side: on a PostgreSQL run its PostgreSQL half runs.
 */
export const SQLITE_HALF: string | false =
  TEST_DATABASE === 'postgres' ? 'this run is on PostgreSQL (PALISADE_TEST_DATABASE=postgres); the PostgreSQL half runs' : false

/** A database made for one test app. */
export interface TestDatabase {
  /** Env entries for testConfig: none for SQLite (the data dir's file), PALISADE_DATABASE_URL for PostgreSQL. */
  readonly env: Readonly<Record<string, string>>
  /** Its URL, or undefined for SQLite (testConfig puts the file in the data dir). */
  readonly url: string | undefined
  /** Drops it (PostgreSQL, with force); nothing for SQLite, whose file goes with its directory. */
  drop(): Promise<void>
}

/**
 * A database for one test app, of this run's family. On a PostgreSQL run
 * with no PostgreSQL answering it throws, naming the switch: such a run
 * must fail, not pass on SQLite.
 *
 * @example
 * const made = await testDatabase('orgs')
 * const config = testConfig(dir, made.env)
 * after(() => app.close().then(made.drop))
 */
export async function testDatabase(label = 'server'): Promise<TestDatabase> {
  if (TEST_DATABASE === 'sqlite') return { env: {}, url: undefined, drop: async () => {} }
  // Imported only here, so a SQLite run does not probe PostgreSQL in every test file.
  const { freshPostgres, POSTGRES_SKIP } = await import('./postgres.test.helper.js')
  if (POSTGRES_SKIP !== false) throw new Error(`PALISADE_TEST_DATABASE=postgres, but ${POSTGRES_SKIP}`)
  const fresh = await freshPostgres(label)
  return { env: { PALISADE_DATABASE_URL: fresh.url }, url: fresh.url, drop: fresh.drop }
}
