// End-to-end: the built `palisade` executable in real child processes, with
// PALISADE_HOME in a temp dir. Keys here use the default scrypt cost, so
// each generate/unlock takes a good part of a second: keep their number low.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { promises as fs } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PASS, palisade } from './testing/real-org.test.helper.js'

describe('palisade (bin)', () => {
  let root: string
  let home: string
  let env: Record<string, string>
  before(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'palisade-bin-'))
    home = join(root, 'home')
    env = { PALISADE_HOME: home, PALISADE_PASSPHRASE: PASS }
  })
  after(async () => fs.rm(root, { recursive: true }))

  it('key generate prints the name, base64 public key and key id', async () => {
    const r = await palisade(['key', 'generate', '--name', 'alice'], env)
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^Generated key "alice"\.\n/)
    assert.match(r.stdout, /\nname: +alice\n/)
    assert.match(r.stdout, /\npublic key: +[A-Za-z0-9+/]{43}=\n/)
    assert.match(r.stdout, /\nkey id: +[0-9a-f]{16}\n/)
    assert.ok(!r.stdout.includes(PASS) && !r.stderr.includes(PASS))
    assert.equal(r.stderr, '')
  })

  it('key generate --json prints one JSON document whose key id is SHA-256(pub)[:16]', async () => {
    const r = await palisade(['--json', 'key', 'generate', '--name', 'bob'], env)
    assert.equal(r.code, 0, r.stderr)
    const doc = JSON.parse(r.stdout) as { name: string; publicKey: string; keyId: string; file: string }
    assert.equal(doc.name, 'bob')
    assert.equal(Buffer.from(doc.publicKey, 'base64').length, 32)
    const { createHash } = await import('node:crypto')
    assert.equal(doc.keyId, createHash('sha256').update(Buffer.from(doc.publicKey, 'base64')).digest('hex').slice(0, 16))
    assert.equal(doc.file, join(home, 'bob.key.json'))
    // the CLI uses the full default cost, never a test setting
    const file = JSON.parse(await fs.readFile(doc.file, 'utf8')) as { kdf: { N: number; r: number; p: number } }
    assert.deepEqual([file.kdf.N, file.kdf.r, file.kdf.p], [131072, 8, 1])
  })

  it('key list shows both keys, as text and as JSON', async () => {
    const text = await palisade(['key', 'list'], env)
    assert.equal(text.code, 0, text.stderr)
    const lines = text.stdout.trimEnd().split('\n')
    assert.match(lines[0]!, /^NAME +KEY ID +CREATED +PUBLIC KEY$/)
    assert.deepEqual(lines.slice(1).map((l) => l.split(/ +/)[0]), ['alice', 'bob'])
    const json = await palisade(['key', 'list', '--json'], env)
    assert.deepEqual((JSON.parse(json.stdout) as { keys: { name: string }[] }).keys.map((k) => k.name), ['alice', 'bob'])
  })

  it('key show prints the same public key as list', async () => {
    const list = JSON.parse((await palisade(['--json', 'key', 'list'], env)).stdout) as { keys: { publicKey: string }[] }
    const show = await palisade(['--json', 'key', 'show', 'alice'], env)
    assert.equal(show.code, 0, show.stderr)
    assert.equal((JSON.parse(show.stdout) as { publicKey: string }).publicKey, list.keys[0]!.publicKey)
  })

  it('an existing name is refused and the key is kept (exit 1)', async () => {
    const before = await fs.readFile(join(home, 'alice.key.json'), 'utf8')
    const r = await palisade(['key', 'generate', '--name', 'alice'], env)
    assert.equal(r.code, 1)
    assert.match(r.stderr, /^palisade: a key named "alice" already exists/)
    assert.equal(await fs.readFile(join(home, 'alice.key.json'), 'utf8'), before)
  })

  it('a bad name is refused with a clear message (exit 2)', async () => {
    const r = await palisade(['key', 'generate', '--name', 'bad name/../x'], env)
    assert.equal(r.code, 2)
    assert.equal(
      r.stderr,
      'palisade: invalid name "bad name/../x": a name is 1 to 64 characters from A-Z a-z 0-9 . _ @ -\n' +
        '  hint: for example: --name alice, --name ops-laptop, --name alice@example.com\n',
    )
    assert.equal(r.stdout, '')
  })

  it('a usage error exits 2 with a hint', async () => {
    const r = await palisade(['key', 'list', '--no-such-option'], env)
    assert.equal(r.code, 2)
    assert.match(r.stderr, /^palisade: unknown option '--no-such-option'\n {2}hint: run `palisade key list --help`\n$/)
  })

  it('with no passphrase source and no terminal: CLI_PASSPHRASE_REQUIRED (exit 1), nothing written', async () => {
    const r = await palisade(['--json', 'key', 'generate', '--name', 'carol'], { PALISADE_HOME: home })
    assert.equal(r.code, 1)
    assert.equal((JSON.parse(r.stderr) as { error: { code: string } }).error.code, 'CLI_PASSPHRASE_REQUIRED')
    assert.equal(r.stdout, '')
    await assert.rejects(fs.stat(join(home, 'carol.key.json')))
  })

  it('a short passphrase from a file is refused for a new key', async () => {
    const file = join(root, 'pass.txt')
    await fs.writeFile(file, 'short\n')
    const r = await palisade(['key', 'generate', '--name', 'carol', '--passphrase-file', file], env)
    assert.equal(r.code, 1)
    assert.match(r.stderr, /passphrase is too short/)
    assert.ok(!r.stderr.includes('short\n  '))
  })

  it('a corrupted key file is reported naming the file, without a stack trace (exit 1)', async () => {
    const file = join(home, 'broken.key.json')
    await fs.writeFile(file, '{"version": 1, "name": "broken"', { mode: 0o600 })
    const r = await palisade(['key', 'show', 'broken'], env)
    assert.equal(r.code, 1)
    assert.equal(r.stderr.split('\n')[0], `palisade: key file ${file} is corrupt: it is not valid JSON (truncated?)`)
    assert.doesNotMatch(r.stderr, /\n\s+at /)
    const json = await palisade(['--json', 'key', 'list'], env)
    assert.equal(json.code, 1)
    assert.deepEqual(JSON.parse(json.stderr), {
      error: {
        code: 'CLI_KEYSTORE_CORRUPT',
        message: `key file ${file} is corrupt: it is not valid JSON (truncated?)`,
        hint: `move ${file} out of the keystore and restore it from a backup`,
        details: { path: file },
      },
    })
    assert.equal(json.stdout, '')
    await fs.rm(file)
  })

  it('a swapped key file is reported as corrupt', async () => {
    await fs.copyFile(join(home, 'bob.key.json'), join(home, 'mallory.key.json'))
    const r = await palisade(['key', 'show', 'mallory'], env)
    assert.equal(r.code, 1)
    assert.match(r.stderr, /mallory\.key\.json is corrupt: it holds key "bob", not "mallory"/)
    await fs.rm(join(home, 'mallory.key.json'))
  })

  it('--version prints the version and exits 0', async () => {
    const r = await palisade(['--version'], env)
    assert.equal(r.code, 0)
    assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/)
  })
})
