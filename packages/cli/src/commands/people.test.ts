// `palisade people` and `palisade devices assign|unassign` end to end,
// in-process, against the real server on SQLite (127.0.0.1:0): add with
// keys and attributes, duplicates named by field, list pages, show by id
// and username, edits (and the lost-update case: two edits from one
// version, made to interleave by a loopback proxy), confirmation before rm,
// and devices bound to people.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, generateKeyPairSync } from 'node:crypto'
import { promises as fs } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { cliWithHome, startDirectoryOrg, type DirectoryOrg } from '../testing/directory-org.test.helper.js'

/** A fresh OpenSSH ed25519 public key line and its ssh-keygen fingerprint. */
function sshKey(comment: string): { line: string; fingerprint: string } {
  const raw = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32)
  const str = (b: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b])
  const blob = Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)])
  return { line: `ssh-ed25519 ${blob.toString('base64')} ${comment}`, fingerprint: 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '') }
}

describe('palisade people against a real server', () => {
  let d: DirectoryOrg
  const laptop = sshKey('alice@laptop')
  const desktop = sshKey('alice@desktop')
  let alice: { id: string; version: number }

  before(async () => {
    d = await startDirectoryOrg('people')
  })
  after(() => d.close())

  it('adds a person with SSH keys from files and attributes', async () => {
    const file = join(d.dir, 'alice.pub')
    await fs.writeFile(file, `# alice's keys\n${laptop.line}\n\n${desktop.line}\r\n`)
    const r = await d.cli(['--json', 'people', 'add', '--username', 'alice', '--email', 'alice@example.com', '--name', 'Alice Liddell', '--ssh-key-file', file, '--attr', 'team=ops', '--attr', 'floor=3'])
    assert.equal(r.code, 0, r.err)
    const p = r.json()
    assert.match(p.id, /^person-/)
    assert.equal(p.version, 1)
    assert.deepEqual(p.sshKeyFingerprints, [laptop.fingerprint, desktop.fingerprint])
    assert.deepEqual(p.attributes, { team: 'ops', floor: '3' })
    alice = p
    const human = await d.cli(['people', 'add', '--username', 'bob', '--email', 'bob@example.com', '--name', 'Bob'])
    assert.equal(human.code, 0, human.err)
    assert.match(human.out, /Added "bob" \(person-/)
  })

  it('refuses a duplicate username with an error naming the field', async () => {
    const r = await d.cli(['--json', 'people', 'add', '--username', 'ALICE'.toLowerCase(), '--email', 'other@example.com', '--name', 'Another'])
    assert.equal(r.code, 1)
    const e = r.error()
    assert.equal(e.code, 'CLI_SERVER_REFUSED')
    assert.equal(e.details.serverCode, 'SRV_DUPLICATE')
    assert.equal(e.details.field, '/body/username')
    assert.match(e.message, /the username is already taken/)
    const email = await d.cli(['people', 'add', '--username', 'alice2', '--email', 'Alice@Example.com', '--name', 'Alice Two'])
    assert.equal(email.code, 1)
    assert.match(email.err, /the email is already taken/)
  })

  it('refuses bad arguments before calling the server, naming the flag', async () => {
    const cases: [string[], RegExp][] = [
      [['people', 'add', '--username', 'Bad Name', '--email', 'x@example.com', '--name', 'X'], /--username/],
      [['people', 'add', '--username', 'x', '--email', 'not-an-email', '--name', 'X'], /--email/],
      [['people', 'add', '--username', 'x', '--email', 'x@example.com', '--name', 'X', '--attr', 'noequals'], /--attr/],
      [['people', 'add', '--username', 'x', '--email', 'x@example.com', '--name', '   '], /--name/],
      [['people', 'list', '--status', 'gone'], /--status/],
      [['people', 'list', '--limit', '0'], /--limit/],
      [['people', 'edit', 'alice', '--unset-attr', '9bad'], /--unset-attr/],
      [['people', 'edit', 'alice'], /nothing to change/],
    ]
    for (const [argv, flag] of cases) {
      const r = await d.cli(['--json', ...argv])
      assert.equal(r.code, 2, argv.join(' '))
      assert.equal(r.error().code, 'CLI_ARG_INVALID')
      assert.match(r.error().message, flag)
    }
    await fs.writeFile(join(d.dir, 'id_ed25519'), '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n')
    const priv = await d.cli(['--json', 'people', 'add', '--username', 'x', '--email', 'x@example.com', '--name', 'X', '--ssh-key-file', join(d.dir, 'id_ed25519')])
    assert.equal(priv.code, 2)
    assert.match(priv.error().message, /--ssh-key-file .*private key/)
  })

  it('lists with filters, one page or all of them', async () => {
    await d.cli(['people', 'add', '--username', 'carol', '--email', 'carol@example.com', '--name', 'Carol', '--status', 'suspended'])
    const all = (await d.cli(['--json', 'people', 'list'])).json()
    assert.deepEqual(all.people.map((p: { username: string }) => p.username), ['alice', 'bob', 'carol'])
    assert.equal(all.nextCursor, null)
    const suspended = (await d.cli(['--json', 'people', 'list', '--status', 'suspended'])).json()
    assert.deepEqual(suspended.people.map((p: { username: string }) => p.username), ['carol'])
    const q = (await d.cli(['--json', 'people', 'list', '--query', 'LIDDELL'])).json()
    assert.deepEqual(q.people.map((p: { username: string }) => p.username), ['alice'])
    const first = await d.cli(['--json', 'people', 'list', '--limit', '1'])
    assert.equal(first.json().people.length, 1)
    assert.equal(typeof first.json().nextCursor, 'string')
    const second = (await d.cli(['--json', 'people', 'list', '--limit', '1', '--cursor', first.json().nextCursor])).json()
    assert.deepEqual(second.people.map((p: { username: string }) => p.username), ['bob'])
    const paged = (await d.cli(['--json', 'people', 'list', '--limit', '1', '--all'])).json()
    assert.deepEqual(paged.people.map((p: { username: string }) => p.username), ['alice', 'bob', 'carol'])
    const human = await d.cli(['people', 'list', '--limit', '2'])
    assert.match(human.out, /USERNAME +NAME +EMAIL +STATUS +ID\nalice +Alice Liddell/)
    assert.match(human.err, /More people follow: --all/)
  })

  it('shows a person by username or by id, with key fingerprints', async () => {
    const byName = await d.cli(['people', 'show', 'alice'])
    assert.equal(byName.code, 0, byName.err)
    assert.ok(byName.out.includes(laptop.fingerprint))
    assert.match(byName.out, /team=ops/)
    const byId = (await d.cli(['--json', 'people', 'show', alice.id])).json()
    assert.equal(byId.username, 'alice')
    assert.deepEqual(byId.groups, [])
    const none = await d.cli(['--json', 'people', 'show', 'nobody'])
    assert.equal(none.code, 1)
    assert.equal(none.error().details.status, 404)
  })

  it('edits fields, keys and attributes from the current version', async () => {
    const r = await d.cli(['--json', 'people', 'edit', 'alice', '--name', 'Alice P. Liddell', '--remove-ssh-key', 'alice@desktop', '--attr', 'floor=4', '--unset-attr', 'team'])
    assert.equal(r.code, 0, r.err)
    const p = r.json()
    assert.equal(p.name, 'Alice P. Liddell')
    assert.equal(p.version, 2)
    assert.deepEqual(p.sshKeyFingerprints, [laptop.fingerprint])
    assert.deepEqual(p.attributes, { floor: '4' })
    const byFp = await d.cli(['--json', 'people', 'edit', alice.id, '--remove-ssh-key', laptop.fingerprint, '--status', 'suspended'])
    assert.equal(byFp.code, 0, byFp.err)
    assert.deepEqual(byFp.json().sshKeys, [])
    assert.equal(byFp.json().status, 'suspended')
    const unknownKey = await d.cli(['--json', 'people', 'edit', 'alice', '--remove-ssh-key', 'SHA256:nope'])
    assert.equal(unknownKey.code, 2)
    assert.match(unknownKey.error().message, /--remove-ssh-key/)
    const dup = await d.cli(['--json', 'people', 'edit', 'bob', '--email', 'alice@example.com'])
    assert.equal(dup.error().details.field, '/body/email')
  })

  it('refuses the second of two edits made from the same version and says what changed', async () => {
    // A loopback proxy in front of the server: when the CLI's PATCH arrives
    // (after its read), another admin's edit from the same version lands first.
    const before = (await d.cli(['--json', 'people', 'show', 'bob'])).json()
    let raced = 0
    const proxy: Server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', async () => {
        const body = Buffer.concat(chunks)
        const headers = { authorization: req.headers.authorization ?? '', 'content-type': 'application/json' }
        if (req.method === 'PATCH') {
          raced++
          const theirs = { version: (JSON.parse(body.toString()) as { version: number }).version, name: 'Robert Elsewhere' }
          const r = await fetch(`${d.url}${req.url}`, { method: 'PATCH', headers, body: JSON.stringify(theirs) })
          assert.equal(r.status, 200)
        }
        const answer = await fetch(`${d.url}${req.url}`, { method: req.method ?? 'GET', headers, ...(body.length > 0 ? { body } : {}) })
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' })
        res.end(Buffer.from(await answer.arrayBuffer()))
      })
    })
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r))
    try {
      const viaProxy = cliWithHome(await d.homeFor(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}`))
      const r = await viaProxy(['--json', 'people', 'edit', 'bob', '--status', 'suspended'])
      assert.equal(raced, 1)
      assert.equal(r.code, 1)
      const e = r.error()
      assert.equal(e.code, 'CLI_SERVER_REFUSED')
      assert.equal(e.details.serverCode, 'SRV_CONFLICT')
      assert.equal(e.details.currentVersion, before.version + 1)
      assert.match(e.message, /someone else changed "bob" since version 1 \(now version 2\): name "Bob" → "Robert Elsewhere"; your edit was not applied/)
    } finally {
      await new Promise<void>((r) => proxy.close(() => r()))
    }
    const now = (await d.cli(['--json', 'people', 'show', 'bob'])).json()
    assert.deepEqual([now.name, now.status, now.version], ['Robert Elsewhere', 'active', 2], 'their edit stands, ours was not applied')
  })

  it('binds a device to a person and unbinds it', async () => {
    await d.insertDevice('dev-laptop-1', 'laptop-1')
    const r = await d.cli(['--json', 'devices', 'assign', 'dev-laptop-1', 'bob'])
    assert.equal(r.code, 0, r.err)
    const bob = (await d.cli(['--json', 'people', 'show', 'bob'])).json()
    assert.deepEqual(r.json(), { deviceId: 'dev-laptop-1', personId: bob.id, username: 'bob' })
    assert.deepEqual(bob.devices, [{ id: 'dev-laptop-1', hostname: 'laptop-1' }])
    const unknown = await d.cli(['--json', 'devices', 'assign', 'dev-nope', 'bob'])
    assert.equal(unknown.code, 1)
    assert.equal(unknown.error().details.status, 404)
    const nobody = await d.cli(['--json', 'devices', 'assign', 'dev-laptop-1', 'nobody'])
    assert.equal(nobody.code, 1)
    assert.match(nobody.error().message, /no person with id or username "nobody"/)
    const un = await d.cli(['--json', 'devices', 'unassign', 'dev-laptop-1'])
    assert.deepEqual(un.json(), { deviceId: 'dev-laptop-1', personId: null })
    assert.deepEqual((await d.cli(['--json', 'people', 'show', 'bob'])).json().devices, [])
    assert.equal((await d.cli(['devices', 'assign', '../x', 'bob'])).code, 2)
  })

  it('deletes only when confirmed: --yes, or "yes" at a terminal prompt', async () => {
    await d.insertDevice('dev-carol', 'carol-pc')
    assert.equal((await d.cli(['devices', 'assign', 'dev-carol', 'carol'])).code, 0)
    const noTty = await d.cli(['--json', 'people', 'rm', 'carol'])
    assert.equal(noTty.code, 1)
    assert.equal(noTty.error().code, 'CLI_CONFIRMATION_REQUIRED')
    const declined = await d.cli(['people', 'rm', 'carol'], async () => 'no')
    assert.equal(declined.code, 1)
    assert.match(declined.err, /nothing was deleted/)
    assert.equal((await d.cli(['people', 'show', 'carol'])).code, 0, 'still there')
    let asked = ''
    const yes = await d.cli(['--json', 'people', 'rm', 'carol'], async (q) => ((asked = q), 'yes'))
    assert.equal(yes.code, 0, yes.err)
    assert.match(asked, /Delete person "carol" .* bound to 1 device/)
    assert.deepEqual([yes.json().deleted, yes.json().devices], [true, 1])
    assert.equal((await d.cli(['people', 'show', 'carol'])).code, 1)
    const flag = await d.cli(['--json', 'people', 'rm', 'alice', '--yes'])
    assert.equal(flag.code, 0, flag.err)
  })
})
