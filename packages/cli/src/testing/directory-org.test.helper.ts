// Test helper: the real server in-process (its SQLite file in a temp dir,
// listening on 127.0.0.1:0) with org `acme` and an admin API key written
// as setup would (setup itself needs witnesses), and a palisade home logged
// in to it; `cli()` runs the whole CLI in-process with captured streams.
// Devices are written straight into the table: how a device enrolls is not
// what the directory tests are about.
import { createHash, randomBytes } from 'node:crypto'
import { promises as fs } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig as loadServerConfig, openDatabase, startServer, type ServerHandle } from '@palisade/server'
import { Secret, saveConfig } from '../config/config.js'
import type { CliDeps } from '../context.js'
import type { Prompt } from '../io/passphrase.js'
import { run } from '../program.js'

export interface Ran {
  readonly code: number
  readonly out: string
  readonly err: string
  json(): any
  /** The `error` object of a --json failure. */
  error(): any
}

export interface DirectoryOrg {
  readonly dir: string
  readonly url: string
  readonly home: string
  /** `Bearer …` of the admin key, for direct requests. */
  readonly authorization: string
  /** Runs `palisade …` in-process as the org's admin; `prompt` answers prompts (default: no terminal). */
  cli(argv: readonly string[], prompt?: Prompt): Promise<Ran>
  /** A device row of org acme. */
  insertDevice(id: string, hostname: string): Promise<void>
  /** A palisade home logged in to `server` (e.g. a proxy in front of this one). */
  homeFor(server: string): Promise<string>
  close(): Promise<void>
}

/** Starts the server and writes the org, its admin key and a logged-in home. */
export async function startDirectoryOrg(label: string): Promise<DirectoryOrg> {
  const dir = await fs.mkdtemp(join(tmpdir(), `palisade-cli-${label}-`))
  const config = loadServerConfig({ env: { PALISADE_DATA_DIR: join(dir, 'server'), PALISADE_LISTEN: '127.0.0.1:0', PALISADE_LOG_LEVEL: 'silent' }, argv: [], cwd: dir })
  const server: ServerHandle = await startServer(config, { handleSignals: false, setupCodeOutput: { write: () => undefined } })
  const db = await openDatabase(config.databaseUrl)
  const secret = randomBytes(32).toString('base64url')
  await db.insertInto('orgs').values({ id: 'acme', name: 'acme', created_at: Date.now() }).execute()
  await db.insertInto('api_keys').values({
    id: 'setup-key', org_id: 'acme', name: 'first admin', prefix: 'abcdefgh', secret_hash: createHash('sha256').update(secret).digest('hex'),
    scopes: '["admin"]', created_at: Date.now(), expires_at: null, revoked_at: null, last_used_at: null, last_used_addr: null, created_by: null,
  }).execute()
  const apiKey = `pal_abcdefgh_${secret}`
  let homes = 0
  const homeFor = async (url: string): Promise<string> => {
    const home = join(dir, `home-${homes++}`)
    await fs.mkdir(home, { mode: 0o700 })
    await saveConfig(home, { server: url, orgId: 'acme', apiToken: new Secret(apiKey) })
    return home
  }
  const home = await homeFor(server.url)
  const cliIn = (h: string) => async (argv: readonly string[], prompt: Prompt = async () => undefined): Promise<Ran> => {
    let out = ''
    let err = ''
    const deps: CliDeps = {
      env: { PALISADE_HOME: h },
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: (s: string) => (err += s) },
      prompt,
    }
    const code = await run([...argv], deps)
    return { code, out, err, json: () => JSON.parse(out), error: () => JSON.parse(err.trim().split('\n').at(-1)!).error }
  }
  return {
    dir,
    url: server.url,
    home,
    authorization: `Bearer ${apiKey}`,
    cli: cliIn(home),
    insertDevice: async (id, hostname) =>
      void (await db.insertInto('devices').values({ id, org_id: 'acme', public_key: randomBytes(32).toString('base64'), hostname, enrolled_at: Date.now() }).execute()),
    homeFor,
    close: async () => {
      await db.destroy()
      await server.close()
      await fs.rm(dir, { recursive: true, force: true })
    },
  }
}

/** Runs `palisade …` in-process with `home`. */
export function cliWithHome(home: string): (argv: readonly string[]) => Promise<Ran> {
  return async (argv) => {
    let out = ''
    let err = ''
    const code = await run([...argv], { env: { PALISADE_HOME: home }, stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, prompt: async () => undefined })
    return { code, out, err, json: () => JSON.parse(out), error: () => JSON.parse(err.trim().split('\n').at(-1)!).error }
  }
}
