// `palisade org init` with an owner account, with real processes: the
// built `palisade` as server, witness and admin CLI (127.0.0.1 only). The
// owner flags go together, the password comes only from a file or a
// terminal, and the account the setup creates can sign in to the console API.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { promises as fs } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createContext } from '../context.js'
import { PASS, Proc, freePort, ok, palisade } from '../testing/real-org.test.helper.js'
import { ownerAccount } from './org-owner.js'

describe('palisade org init --owner-… against a real server and witness', () => {
  let dir: string
  let url: string
  let server: Proc
  let witness: Proc
  let setupCode: string
  let draft: string
  const password = 'plum-orbit-cactus-lantern-41'
  const env = (): Record<string, string> => ({ PALISADE_PASSPHRASE: PASS, PALISADE_HOME: join(dir, 'home') })
  const owner = ['--owner-username', 'olga', '--owner-email', 'olga@example.com', '--owner-name', 'Olga Owner']

  before(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'palisade-cli-owner-'))
    const port = await freePort()
    url = `http://127.0.0.1:${port}`
    server = new Proc(['server', '--listen', `127.0.0.1:${port}`, '--data', join(dir, 'data')], 'server')
    witness = new Proc(['witness', 'serve', '--listen', '127.0.0.1:0', '--data', join(dir, 'witness'), '--name', 'witness.test'], 'witness')
    setupCode = (await server.waitFor(/setup code[^:]*: ([A-Z0-9-]+)/))[1]!
    await server.waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/)
    const wkey = (await witness.waitFor(/verifier key:\s+(\S+)/))[1]!
    const wurl = (await witness.waitFor(/url:\s+(http:\/\/\S+)/))[1]!
    await ok(['key', 'generate', '--name', 'alice'], env())
    draft = join(dir, 'root-v1.json')
    const out = await ok(['org', 'init', '--server', url, '--setup-code', setupCode, '--org', 'acme', '--admin-key', 'alice', '--threshold', '1',
      '--witness', `${wkey}@${wurl}`, '--sign-with', 'alice', '--out', draft], env())
    const logKey = out.match(/log key:\s+(\S+)/)![1]!
    const fingerprint = out.match(/fingerprint:\s+([0-9a-f]{64})/)![1]!
    await ok(['witness', 'add-log', '--data', join(dir, 'witness'), '--key', logKey, '--root-fingerprint', fingerprint], {})
  })
  after(async () => {
    await Promise.all([server?.stop(), witness?.stop()])
    await fs.rm(dir, { recursive: true, force: true })
  })

  it('refuses some owner flags without the others, naming the missing ones', async () => {
    const r = await palisade(['--json', 'org', 'init', '--server', url, '--setup-code', setupCode, '--root', draft, '--owner-username', 'olga'], env())
    assert.equal(r.code, 2)
    const e = JSON.parse(r.stderr).error
    assert.equal(e.code, 'CLI_ARG_INVALID')
    assert.match(e.message, /needs --owner-email and --owner-name/)
    const bad = await palisade(['--json', 'org', 'init', '--server', url, '--setup-code', setupCode, '--root', draft, '--owner-username', 'olga', '--owner-email', 'nope', '--owner-name', 'O'], env())
    assert.equal(bad.code, 2)
    assert.match(JSON.parse(bad.stderr).error.message, /--owner-email/)
    const withOut = await palisade(['--json', 'org', 'init', '--server', url, '--setup-code', setupCode, '--org', 'acme', '--admin-key', 'alice', '--threshold', '1', '--out', join(dir, 'x.json'), ...owner], env())
    assert.equal(withOut.code, 2)
    assert.match(JSON.parse(withOut.stderr).error.message, /with --root, not with --out/)
  })

  it('never takes the password from the environment: without a file or a terminal it refuses', async () => {
    const r = await palisade(['--json', 'org', 'init', '--server', url, '--setup-code', setupCode, '--root', draft, ...owner], { ...env(), PALISADE_PASSWORD: password, PALISADE_OWNER_PASSWORD: password })
    assert.equal(r.code, 1)
    const e = JSON.parse(r.stderr).error
    assert.equal(e.code, 'CLI_PASSPHRASE_REQUIRED')
    assert.match(e.hint, /--owner-password-file/)
    await fs.writeFile(join(dir, 'short.txt'), 'short\n')
    const weak = await palisade(['--json', 'org', 'init', '--server', url, '--setup-code', setupCode, '--root', draft, ...owner, '--owner-password-file', join(dir, 'short.txt')], env())
    assert.equal(JSON.parse(weak.stderr).error.code, 'CLI_PASSPHRASE_WEAK')
  })

  it('creates the org and its owner console account, which can sign in', async () => {
    const file = join(dir, 'owner-password.txt')
    await fs.writeFile(file, password + '\n', { mode: 0o600 })
    const r = await palisade(['--json', 'org', 'init', '--server', url, '--setup-code', setupCode, '--root', draft, ...owner, '--owner-password-file', file], env())
    assert.equal(r.code, 0, r.stderr)
    const j = JSON.parse(r.stdout)
    assert.equal(j.org, 'acme')
    assert.deepEqual([j.owner.username, j.owner.role], ['olga', 'owner'])
    assert.ok(!(r.stdout + r.stderr).includes(password), 'the password is never printed')

    const login = await fetch(`${url}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'olga', password }) })
    assert.equal(login.status, 200)
    const body = (await login.json()) as { admin: { id: string; username: string; email: string } }
    assert.deepEqual([body.admin.id, body.admin.username, body.admin.email], [j.owner.id, 'olga', 'olga@example.com'])
    const wrong = await fetch(`${url}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'olga', password: password + 'x' }) })
    assert.equal(wrong.status, 401)
    const logs = server.output
    assert.ok(!logs.includes(password), 'the server never logs it either')
  })
})

describe('the owner password at a terminal prompt', () => {
  const flags = { ownerUsername: 'olga', ownerEmail: 'olga@example.com', ownerName: 'Olga Owner' }
  const ctxAnswering = (answers: string[]) => {
    const asked: string[] = []
    const ctx = createContext({ env: {}, stdout: { write: () => undefined }, stderr: { write: () => undefined }, prompt: async (q) => (asked.push(q), answers.shift()) })
    return { ctx, asked }
  }

  it('is asked twice, and must match', async () => {
    const { ctx, asked } = ctxAnswering(['plum-orbit-cactus-lantern-41', 'plum-orbit-cactus-lantern-41'])
    const o = await ownerAccount(ctx, flags)
    assert.deepEqual(o, { username: 'olga', email: 'olga@example.com', name: 'Olga Owner', password: 'plum-orbit-cactus-lantern-41' })
    assert.deepEqual(asked, ['Password for the console account "olga": ', 'Repeat the password: '])
    const typo = ctxAnswering(['plum-orbit-cactus-lantern-41', 'plum-orbit-cactus-lantern-42'])
    await assert.rejects(ownerAccount(typo.ctx, flags), { code: 'CLI_PASSPHRASE_MISMATCH' })
  })

  it('is not asked when no owner flag is given', async () => {
    const { ctx, asked } = ctxAnswering([])
    assert.equal(await ownerAccount(ctx, {}), undefined)
    assert.deepEqual(asked, [])
  })
})
