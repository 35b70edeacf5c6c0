import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { run } from '../program.js'

/** Runs `palisade …` in this process with only `env`; nothing here gets as far as starting a server. */
async function palisade(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await run(args, { env, stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } })
  return { code, out, err }
}

describe('palisade server --help', () => {
  it('names every environment variable the server reads, with the environment-only ones explained', async () => {
    const { CONFIG_VARIABLES } = await import('@palisade/server')
    const r = await palisade(['server', '--help'])
    assert.equal(r.code, 0)
    assert.ok(CONFIG_VARIABLES.length >= 15 && CONFIG_VARIABLES.includes('PALISADE_CONSOLE_DIR'))
    for (const name of CONFIG_VARIABLES) assert.match(r.out, new RegExp(`\\b${name}\\b`), `${name} missing from palisade server --help`)
    assert.match(r.out.replace(/\s+/g, ' '), /PALISADE_DATABASE_POOL PostgreSQL connections per process, 4–500 \(default: 10;/)
    assert.match(r.out.replace(/\s+/g, ' '), /PALISADE_PRESENCE_TTL_MS how long this node's heartbeat keeps its agents online, 1000–600000 \(default: 30000\)/)
  })
})

describe('palisade server --workers', () => {
  it('is listed by --help with its limits and requirements', async () => {
    const r = await palisade(['server', '--help'])
    assert.equal(r.code, 0)
    assert.match(r.out.replace(/\s+/g, ' '), /--workers <n> worker processes sharing the address, 1–64; above 1 needs PostgreSQL and --bus \(default: \$PALISADE_WORKERS or 1\)/)
  })

  it('passes the flag to the server configuration, which refuses bad counts naming --workers', async () => {
    for (const bad of ['0', 'x', '65']) {
      const r = await palisade(['--json', 'server', '--workers', bad, '--database-url', 'postgres://127.0.0.1:1/none', '--bus', 'nats://127.0.0.1:1'])
      assert.notEqual(r.code, 0)
      const e = JSON.parse(r.err).error
      assert.equal(e.code, 'CLI_ARG_INVALID')
      assert.match(e.message, /--workers: must be a whole number of worker processes from 1 to 64/)
    }
  })

  it('refuses several workers on SQLite and without a bus, saying why', async () => {
    const r = await palisade(['--json', 'server', '--workers', '2', '--data', '/nonexistent/palisade'])
    assert.notEqual(r.code, 0)
    const e = JSON.parse(r.err).error
    assert.equal(e.code, 'CLI_ARG_INVALID')
    assert.match(e.message, /--workers: above 1 needs a PostgreSQL database/)
    assert.match(e.message, /--workers: above 1 needs a bus/)
  })

  it('reads PALISADE_WORKERS when the flag is absent', async () => {
    const r = await palisade(['--json', 'server', '--database-url', 'postgres://127.0.0.1:1/none'], { PALISADE_WORKERS: '3' })
    assert.notEqual(r.code, 0)
    assert.match(JSON.parse(r.err).error.message, /PALISADE_WORKERS: above 1 needs a bus/)
  })
})
