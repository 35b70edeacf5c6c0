import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { promises as fs } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { inspect } from 'node:util'
import { isCliError } from '../errors.js'
import { Secret, configPath, loadConfig, parseConfig, redactToken, resolveHome, saveConfig } from './config.js'

const TOKEN = 'pal_live_0123456789abcdefSECRETPART'

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isCliError(e), String(e))
    assert.equal(e.code, code)
    assert.ok(!e.message.includes('SECRETPART'), 'the token leaked into the message')
    return true
  })
}

describe('config', () => {
  let home: string
  before(async () => {
    home = join(await fs.mkdtemp(join(tmpdir(), 'palisade-config-')), 'home')
  })
  after(async () => fs.rm(join(home, '..'), { recursive: true }))

  it('is empty when there is no config file', async () => {
    assert.deepEqual({ ...(await loadConfig(home)) }, {})
  })

  it('round-trips through a 0600 file written atomically', async () => {
    await saveConfig(home, { server: 'https://palisade.example.com', orgId: 'acme', apiToken: new Secret(TOKEN), defaultKey: 'alice' })
    const path = configPath(home)
    if (process.platform !== 'win32') {
      assert.equal((await fs.stat(path)).mode & 0o777, 0o600)
      assert.equal((await fs.stat(home)).mode & 0o777, 0o700)
    }
    assert.deepEqual(JSON.parse(await fs.readFile(path, 'utf8')), {
      version: 1,
      server: 'https://palisade.example.com',
      orgId: 'acme',
      apiToken: TOKEN,
      defaultKey: 'alice',
    })
    const loaded = await loadConfig(home)
    assert.equal(loaded.server, 'https://palisade.example.com')
    assert.equal(loaded.apiToken?.reveal(), TOKEN)
    assert.deepEqual((await fs.readdir(home)).sort(), ['config.json'])
  })

  it('never prints the token: String, JSON and inspect show only its prefix', async () => {
    const loaded = await loadConfig(home)
    for (const shown of [String(loaded.apiToken), JSON.stringify(loaded), inspect(loaded), `${loaded.apiToken?.prefix}`]) {
      assert.ok(!shown.includes('SECRETPART'), shown)
      assert.ok(!shown.includes(TOKEN), shown)
    }
    assert.equal(redactToken(TOKEN), 'pal_live…')
    assert.equal(redactToken('0123456789abcdef'), '0123…')
  })

  it('refuses a token file that other users can read (CLI_CONFIG_INSECURE)', { skip: process.platform === 'win32' }, async () => {
    await fs.chmod(configPath(home), 0o644)
    await rejectsWith(loadConfig(home), 'CLI_CONFIG_INSECURE')
    await fs.chmod(configPath(home), 0o600)
  })

  it('refuses unknown fields, bad values and bad JSON, naming the file and not the token', async () => {
    const path = configPath(home)
    const bad = [
      { version: 1, serverUrl: 'https://x' },
      { version: 2 },
      { version: 1, server: 'ftp://x' },
      { version: 1, server: 'https://u:p@x' },
      { version: 1, apiToken: 'has a space SECRETPART' },
      { version: 1, apiToken: 'short' },
      { version: 1, defaultKey: '../x' },
      { version: 1, orgId: '' },
      [],
    ]
    for (const doc of bad) {
      await fs.writeFile(path, JSON.stringify(doc), { mode: 0o600 })
      await rejectsWith(loadConfig(home), 'CLI_CONFIG_INVALID')
    }
    await fs.writeFile(path, '{"version": 1,', { mode: 0o600 })
    await rejectsWith(loadConfig(home), 'CLI_CONFIG_INVALID')
    assert.throws(() => parseConfig({ version: 1, x: 1, y: 2 }, 'f'), /x is not a known setting; y is not a known setting/)
  })

  it('refuses to save what it would refuse to load', async () => {
    await rejectsWith(saveConfig(home, { orgId: 'has space' }), 'CLI_CONFIG_INVALID')
  })
})

describe('resolveHome', () => {
  it('prefers --home, then $PALISADE_HOME, then ~/.palisade', () => {
    assert.equal(resolveHome('rel/dir', { PALISADE_HOME: '/env' }), resolve('rel/dir'))
    assert.equal(resolveHome(undefined, { PALISADE_HOME: '/env' }), resolve('/env'))
    assert.equal(resolveHome(undefined, { PALISADE_HOME: '' }), join(homedir(), '.palisade'))
    assert.equal(resolveHome(undefined, {}), join(homedir(), '.palisade'))
  })
})
