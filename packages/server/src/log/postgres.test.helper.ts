/**
 * Test support (not a test file): a fresh PostgreSQL database per test, at
 * 127.0.0.1:5432 (or PALISADE_TEST_POSTGRES_URL), dropped afterwards; and
 * the reason to skip when none answers.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'

const ADMIN_URL = process.env['PALISADE_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres'

/** Why PostgreSQL tests are skipped, or false when it answers (probed once). */
export const POSTGRES_SKIP: string | false = await probe()

/**
 * Creates a database; returns its URL and the function that drops it (with force).
 *
 * @example
 * const pg = await freshPostgres('log')
 * const db = await openDatabase(pg.url)
 * after(() => db.destroy().then(pg.drop))
 */
export async function freshPostgres(label: string): Promise<{ readonly url: string; drop(): Promise<void> }> {
  const name = `palisade_${label}_${process.pid}_${randomBytes(4).toString('hex')}`
  await adminQuery(`create database ${name}`)
  const u = new URL(ADMIN_URL)
  u.pathname = `/${name}`
  return { url: u.href, drop: () => adminQuery(`drop database if exists ${name} with (force)`) }
}

async function probe(): Promise<string | false> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 1500 })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.query('select 1')
    return false
  } catch (e) {
    return `PostgreSQL not reachable at ${new URL(ADMIN_URL).host} (${e instanceof Error ? e.message : String(e)}); set PALISADE_TEST_POSTGRES_URL`
  } finally {
    await client.end().catch(() => {})
  }
}

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL })
  await client.connect()
  try {
    await client.query(text)
  } finally {
    await client.end()
  }
}
