/**
 * PostgreSQL and NATS for end-to-end tests of several server processes:
 * where they are (PALISADE_TEST_POSTGRES_URL, default
 * postgres://postgres@127.0.0.1:5432/postgres; PALISADE_TEST_NATS_URL,
 * default nats://127.0.0.1:4222), why a test must skip when either does
 * not answer, and a fresh database per test file.
 */
import { randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import pg from 'pg'

export const ADMIN_URL = process.env['PALISADE_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres'
export const NATS_URL = process.env['PALISADE_TEST_NATS_URL'] ?? 'nats://127.0.0.1:4222'

/** Runs one statement as the admin user (on the admin database, or `url`). */
export async function adminQuery(text: string, url = ADMIN_URL): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 })
  client.on('error', () => {})
  await client.connect()
  try {
    return await client.query(text)
  } finally {
    await client.end().catch(() => {})
  }
}

function reachable(url: string): Promise<boolean> {
  const u = new URL(url)
  return new Promise((resolve) => {
    const s = connect(Number(u.port || 0), u.hostname)
    s.setTimeout(1500)
    s.once('connect', () => (s.destroy(), resolve(true)))
    s.once('error', () => resolve(false))
    s.once('timeout', () => (s.destroy(), resolve(false)))
  })
}

/** False when both answer, else the reason to skip (for `describe(…, { skip })`). */
export async function pgNatsSkipReason(): Promise<string | false> {
  if (!(await reachable(ADMIN_URL.replace(/^postgres(ql)?:/, 'http:')))) return `PostgreSQL not reachable at ${ADMIN_URL}`
  if (!(await reachable(NATS_URL.replace(/^nats:/, 'http:')))) return `NATS not reachable at ${NATS_URL}`
  return false
}

/** A database name and URL, unique to this process; create() and drop() it. */
export function freshDatabase(prefix: string): { readonly url: string; create(): Promise<void>; drop(): Promise<void> } {
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`
  const u = new URL(ADMIN_URL)
  u.pathname = `/${name}`
  return {
    url: u.href,
    create: async () => void (await adminQuery(`create database ${name}`)),
    drop: async () => void (await adminQuery(`drop database if exists ${name} with (force)`).catch(() => {})),
  }
}
