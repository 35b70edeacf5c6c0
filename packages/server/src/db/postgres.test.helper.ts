/**
 * Test support (not a test file): throwaway PostgreSQL databases for the
 * storage tests, on the server at 127.0.0.1:5432 (or
 * PALISADE_TEST_POSTGRES_URL), created per test and dropped afterwards;
 * and the reason to skip when none answers. Every test that runs on
 * PostgreSQL takes its database from here.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'

/** The maintenance database the tests connect to, to create and drop theirs. */
export const POSTGRES_ADMIN_URL = process.env['PALISADE_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres'

/** Why PostgreSQL tests are skipped, or false when it answers (probed once, on import). */
export const POSTGRES_SKIP: string | false = await probe()

/** A throwaway database. */
export interface FreshPostgres {
  /** Its connection URL. */
  readonly url: string
  /** Its name (palisade_<label>_<pid>_<random>). */
  readonly name: string
  /** Drops it, with force (open connections are closed). */
  drop(): Promise<void>
}

/**
 * Creates an empty database named after `label` (lower-case letters,
 * digits, underscores).
 *
 * @example
 * const fresh = await freshPostgres('log')
 * const db = await openDatabase(fresh.url)
 * after(() => db.destroy().then(fresh.drop))
 */
export async function freshPostgres(label: string): Promise<FreshPostgres> {
  if (!/^[a-z0-9_]{1,20}$/.test(label)) throw new RangeError(`a database label is 1-20 of [a-z0-9_], not ${JSON.stringify(label)}`)
  const name = `palisade_${label}_${process.pid}_${randomBytes(4).toString('hex')}`
  await adminQuery(`create database ${name}`)
  const u = new URL(POSTGRES_ADMIN_URL)
  u.pathname = `/${name}`
  return { url: u.href, name, drop: () => adminQuery(`drop database if exists ${name} with (force)`) }
}

async function probe(): Promise<string | false> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 1500 })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.query('select 1')
    return false
  } catch (e) {
    return `PostgreSQL not reachable at ${new URL(POSTGRES_ADMIN_URL).host} (${e instanceof Error ? e.message : String(e)}); set PALISADE_TEST_POSTGRES_URL to run these`
  } finally {
    await client.end().catch(() => {})
  }
}

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL })
  await client.connect()
  try {
    await client.query(text)
  } finally {
    await client.end()
  }
}
