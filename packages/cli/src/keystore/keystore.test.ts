import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createDecipheriv, scryptSync } from 'node:crypto'
import { promises as fs } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fromBase64, nodePublicKey, nodeSign, nodeVerify, utf8 } from '@palisade/protocol'
import { isCliError } from '../errors.js'
import {
  DEFAULT_SCRYPT,
  findKeyName,
  generateKey,
  keyFilePath,
  keyIdOf,
  listKeys,
  loadPublicKey,
  unlockKey,
  type GenerateKeyOptions,
} from './keystore.js'

// Tests pass a small N explicitly; the default stays DEFAULT_SCRYPT.
const FAST: GenerateKeyOptions = { scrypt: { N: 2 ** 10, r: 8, p: 1 } }
const PASS = 'correct horse battery staple'

const GOLDEN = `{
  "version": 1,
  "name": "golden",
  "publicKey": "rz0gJk+cJu8IW1zlN/QX1CQDegljpjhv9tBQ5b93NxQ=",
  "kdf": {
    "alg": "scrypt",
    "N": 1024,
    "r": 8,
    "p": 1,
    "salt": "Pj9AQUJDREVGR0hJSktMTQ=="
  },
  "cipher": {
    "alg": "aes-256-gcm",
    "iv": "XV5fYGFiY2RlZmdo",
    "ciphertext": "UQgLG5OvBjR8BlT2lOhYNFW/MHNcryym2xTquW2BZkU=",
    "tag": "3KUpkUy3UJAiDt4CBFF59w=="
  },
  "createdAt": "2025-01-02T03:04:05.678Z"
}
`

async function tempDir(): Promise<string> {
  return fs.mkdtemp(join(tmpdir(), 'palisade-keystore-'))
}

/** A deterministic random source: byte i of call k is (k * 31 + i) & 255. */
function fixedRandom(): (n: number) => Uint8Array {
  let k = 0
  return (n) => {
    k++
    return Uint8Array.from({ length: n }, (_, i) => (k * 31 + i) & 255)
  }
}

async function rejectsWith(p: Promise<unknown>, code: string, check?: (e: Error) => void): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isCliError(e), `expected a CliError, got ${String(e)}`)
    assert.equal(e.code, code)
    check?.(e)
    return true
  })
}

describe('keystore', () => {
  let dir: string
  before(async () => {
    dir = join(await tempDir(), 'home')
  })
  after(async () => {
    await fs.rm(join(dir, '..'), { recursive: true, force: true })
  })

  describe('when a key is generated', () => {
    it('writes a 0600 file in a 0700 directory and unlocks to a seed that signs', async () => {
      const info = await generateKey(dir, 'alice', PASS, undefined, FAST)
      assert.equal(info.name, 'alice')
      assert.equal(info.file, join(dir, 'alice.key.json'))
      assert.equal(info.keyId, keyIdOf(info.publicKey))
      assert.match(info.keyId, /^[0-9a-f]{16}$/)
      if (process.platform !== 'win32') {
        assert.equal((await fs.stat(dir)).mode & 0o777, 0o700)
        assert.equal((await fs.stat(info.file)).mode & 0o777, 0o600)
      }
      const key = await unlockKey(dir, 'alice', PASS)
      assert.deepEqual(key.publicKey, info.publicKey)
      assert.equal(key.seed.length, 32)
      assert.deepEqual(nodePublicKey(key.seed), info.publicKey)
      const msg = utf8('hello')
      assert.ok(nodeVerify(info.publicKey, msg, nodeSign(key.seed, msg)))
      // no temp files left behind
      assert.deepEqual((await fs.readdir(dir)).filter((f) => f.endsWith('.tmp')), [])
    })

    it('lists it and shows its public key without a passphrase', async () => {
      await generateKey(dir, 'bob', PASS, undefined, FAST)
      const keys = await listKeys(dir)
      assert.deepEqual(keys.map((k) => k.name), ['alice', 'bob'])
      const bob = await loadPublicKey(dir, 'bob')
      assert.deepEqual(bob, keys[1])
    })

    it('never overwrites an existing key (CLI_KEY_EXISTS), even one differing in case', async () => {
      const before = await fs.readFile(join(dir, 'alice.key.json'), 'utf8')
      await rejectsWith(generateKey(dir, 'alice', PASS, undefined, FAST), 'CLI_KEY_EXISTS')
      await rejectsWith(generateKey(dir, 'ALICE', PASS, undefined, FAST), 'CLI_KEY_EXISTS')
      assert.equal(await fs.readFile(join(dir, 'alice.key.json'), 'utf8'), before)
      assert.equal(await findKeyName(dir, 'Alice'), 'alice')
      assert.equal(await findKeyName(dir, 'carol'), undefined)
    })

    it('refuses a passphrase shorter than 12 characters (CLI_PASSPHRASE_WEAK)', async () => {
      await rejectsWith(generateKey(dir, 'carol', 'elevenchars', undefined, FAST), 'CLI_PASSPHRASE_WEAK')
      await assert.rejects(fs.stat(join(dir, 'carol.key.json')), { code: 'ENOENT' })
    })

    it('refuses names outside [A-Za-z0-9._@-]{1,64} (CLI_ARG_INVALID)', async () => {
      for (const name of ['', '../evil', 'a/b', 'a b', 'é', 'x'.repeat(65), 'a\0b']) {
        await rejectsWith(generateKey(dir, name, PASS, undefined, FAST), 'CLI_ARG_INVALID')
      }
      assert.equal(keyFilePath(dir, 'a'.repeat(64)), join(dir, 'a'.repeat(64) + '.key.json'))
    })

    it('uses N = 2^17, r = 8, p = 1 by default', async () => {
      assert.deepEqual({ ...DEFAULT_SCRYPT }, { N: 131072, r: 8, p: 1 })
      assert.ok(Object.isFrozen(DEFAULT_SCRYPT))
    })

    it('refuses scrypt parameters out of bounds', async () => {
      await assert.rejects(generateKey(dir, 'weak', PASS, undefined, { scrypt: { N: 2 ** 8, r: 8, p: 1 } }), RangeError)
      await assert.rejects(generateKey(dir, 'weak', PASS, undefined, { scrypt: { N: 3000, r: 8, p: 1 } }), RangeError)
    })

    it('refuses a random source that returns the wrong length', async () => {
      await assert.rejects(generateKey(dir, 'short', PASS, () => new Uint8Array(3), FAST), RangeError)
    })
  })

  describe('the file format', () => {
    it('is pinned: a fixed random source and clock give exactly this file', async () => {
      const d = await tempDir()
      await generateKey(d, 'golden', PASS, fixedRandom(), { ...FAST, now: () => new Date('2025-01-02T03:04:05.678Z') })
      const text = await fs.readFile(join(d, 'golden.key.json'), 'utf8')
      // seed = bytes 31..62 (first call), salt = 62..77, iv = 93..104
      const seed = Uint8Array.from({ length: 32 }, (_, i) => (31 + i) & 255)
      assert.equal(Buffer.from(nodePublicKey(seed)).toString('base64'), 'rz0gJk+cJu8IW1zlN/QX1CQDegljpjhv9tBQ5b93NxQ=')
      assert.equal(text, GOLDEN)
      await fs.rm(d, { recursive: true })
    })

    it('decrypts with scrypt + AES-256-GCM and AAD "palisade-keystore-v1\\0<name>\\0<publicKey>", as documented', async () => {
      const d = await tempDir()
      const info = await generateKey(d, 'spec', PASS, undefined, FAST)
      const doc = JSON.parse(await fs.readFile(info.file, 'utf8')) as {
        publicKey: string
        kdf: { N: number; r: number; p: number; salt: string }
        cipher: { iv: string; ciphertext: string; tag: string }
      }
      const key = scryptSync(PASS, Buffer.from(doc.kdf.salt, 'base64'), 32, { N: doc.kdf.N, r: doc.kdf.r, p: doc.kdf.p })
      const dec = createDecipheriv('aes-256-gcm', key, Buffer.from(doc.cipher.iv, 'base64'))
      dec.setAAD(Buffer.from(`palisade-keystore-v1\0spec\0${doc.publicKey}`))
      dec.setAuthTag(Buffer.from(doc.cipher.tag, 'base64'))
      const seed = Buffer.concat([dec.update(Buffer.from(doc.cipher.ciphertext, 'base64')), dec.final()])
      assert.deepEqual(nodePublicKey(seed), fromBase64(doc.publicKey))
      await fs.rm(d, { recursive: true })
    })

    it('normalises the passphrase to NFC, so either Unicode form unlocks', async () => {
      const d = await tempDir()
      const nfc = 'passphrase café ünïcode'.normalize('NFC')
      await generateKey(d, 'uni', nfc, undefined, FAST)
      await unlockKey(d, 'uni', nfc.normalize('NFD'))
      await fs.rm(d, { recursive: true })
    })
  })

  describe('when unlocking fails', () => {
    it('a wrong passphrase gives CLI_KEY_PASSPHRASE and reveals nothing else', async () => {
      const wrong = 'not the passphrase at all'
      await rejectsWith(unlockKey(dir, 'alice', wrong), 'CLI_KEY_PASSPHRASE', (e) => {
        assert.ok(!e.message.includes(wrong))
        assert.ok(!e.message.includes(PASS))
        assert.equal(e.cause, undefined)
      })
    })

    it('an unknown key gives CLI_KEY_NOT_FOUND', async () => {
      await rejectsWith(unlockKey(dir, 'nobody', PASS), 'CLI_KEY_NOT_FOUND')
      await rejectsWith(loadPublicKey(dir, 'nobody'), 'CLI_KEY_NOT_FOUND')
    })

    it('a directory other users can write: CLI_HOME_INSECURE, for reading and writing', { skip: process.platform === 'win32' }, async () => {
      const d = await tempDir()
      await generateKey(d, 'k', PASS, undefined, FAST)
      await fs.chmod(d, 0o777)
      await rejectsWith(loadPublicKey(d, 'k'), 'CLI_HOME_INSECURE')
      await rejectsWith(generateKey(d, 'k2', PASS, undefined, FAST), 'CLI_HOME_INSECURE')
      await fs.chmod(d, 0o700)
      await fs.rm(d, { recursive: true })
    })

    it('a missing keystore directory lists no keys', async () => {
      assert.deepEqual(await listKeys(join(dir, 'does-not-exist')), [])
    })
  })

  describe('when a key file is corrupt', () => {
    const cases: [string, (text: string) => string][] = [
      ['truncated', (t) => t.slice(0, t.length / 2)],
      ['empty', () => ''],
      ['not JSON', () => 'hello'],
      ['a JSON array', () => '[]'],
      ['an unknown version', (t) => t.replace('"version": 1', '"version": 2')],
      ['an unknown field', (t) => t.replace('"version": 1,', '"version": 1, "extra": true,')],
      ['a duplicate member', (t) => t.replace('"version": 1,', '"version": 1, "version": 1,')],
      ['a non-canonical base64 tag', (t) => t.replace(/"tag": "[^"]*"/, '"tag": "!!!!"')],
      ['a short iv', (t) => t.replace(/"iv": "[^"]*"/, '"iv": "AAAA"')],
      ['another cipher', (t) => t.replace('aes-256-gcm', 'aes-128-gcm')],
      ['a huge N (would take gigabytes)', (t) => t.replace('"N": 1024', '"N": 1073741824')],
      ['an N that is not a power of two', (t) => t.replace('"N": 1024', '"N": 1000')],
      ['a bad createdAt', (t) => t.replace(/"createdAt": "[^"]*"/, '"createdAt": "yesterday"')],
      ['an oversized file', (t) => t + ' '.repeat(20_000)],
    ]
    for (const [what, mutate] of cases) {
      it(`${what}: CLI_KEYSTORE_CORRUPT naming the file`, async () => {
        const d = await tempDir()
        const info = await generateKey(d, 'k', PASS, undefined, FAST)
        await fs.writeFile(info.file, mutate(await fs.readFile(info.file, 'utf8')))
        const check = (e: Error): void => assert.ok(e.message.includes(info.file), e.message)
        await rejectsWith(unlockKey(d, 'k', PASS), 'CLI_KEYSTORE_CORRUPT', check)
        await rejectsWith(loadPublicKey(d, 'k'), 'CLI_KEYSTORE_CORRUPT', check)
        await rejectsWith(listKeys(d), 'CLI_KEYSTORE_CORRUPT', check)
        await fs.rm(d, { recursive: true })
      })
    }

    it('a symlink in place of a key file: CLI_KEYSTORE_CORRUPT', { skip: process.platform === 'win32' }, async () => {
      const d = await tempDir()
      const info = await generateKey(d, 'real', PASS, undefined, FAST)
      await fs.symlink(info.file, join(d, 'link.key.json'))
      await rejectsWith(loadPublicKey(d, 'link'), 'CLI_KEYSTORE_CORRUPT')
      await fs.rm(d, { recursive: true })
    })

    it('never crashes on random mutations: every outcome is a CliError or the right key', async () => {
      const d = await tempDir()
      const info = await generateKey(d, 'm', PASS, undefined, FAST)
      const original = await fs.readFile(info.file)
      let state = 12345
      const rnd = (n: number): number => ((state = (state * 1103515245 + 12345) >>> 0) % n)
      for (let i = 0; i < 150; i++) {
        const bytes = Buffer.from(original)
        for (let j = 0, n = 1 + rnd(3); j < n; j++) bytes[rnd(bytes.length)] = rnd(256)
        await fs.writeFile(info.file, bytes)
        try {
          const key = await unlockKey(d, 'm', PASS)
          assert.deepEqual(key.publicKey, info.publicKey)
        } catch (e) {
          assert.ok(isCliError(e), `mutation ${i} threw ${String(e)}`)
          assert.ok(['CLI_KEYSTORE_CORRUPT', 'CLI_KEY_PASSPHRASE'].includes(e.code), e.code)
        }
      }
      await fs.rm(d, { recursive: true })
    })
  })

  describe('when key files are swapped or edited (AAD binds name and public key)', () => {
    let d: string
    let alice: string
    let bob: string
    before(async () => {
      d = await tempDir()
      alice = (await generateKey(d, 'alice', PASS, undefined, FAST)).file
      bob = (await generateKey(d, 'bob', PASS, undefined, FAST)).file
    })
    after(async () => fs.rm(d, { recursive: true }))

    const restore = async (file: string, text: string): Promise<void> => fs.writeFile(file, text, { mode: 0o600 })

    it("bob's file renamed to alice's: CLI_KEYSTORE_CORRUPT (name mismatch)", async () => {
      const saved = await fs.readFile(alice, 'utf8')
      await fs.copyFile(bob, alice)
      await rejectsWith(unlockKey(d, 'alice', PASS), 'CLI_KEYSTORE_CORRUPT', (e) => assert.match(e.message, /holds key "bob"/))
      await restore(alice, saved)
    })

    it("bob's file with its name edited to alice: CLI_KEY_PASSPHRASE", async () => {
      const saved = await fs.readFile(alice, 'utf8')
      await restore(alice, (await fs.readFile(bob, 'utf8')).replace('"name": "bob"', '"name": "alice"'))
      await rejectsWith(unlockKey(d, 'alice', PASS), 'CLI_KEY_PASSPHRASE')
      await restore(alice, saved)
    })

    it("alice's file showing bob's public key: CLI_KEY_PASSPHRASE", async () => {
      const saved = await fs.readFile(alice, 'utf8')
      const bobDoc = JSON.parse(await fs.readFile(bob, 'utf8')) as { publicKey: string }
      const doc = JSON.parse(saved) as { publicKey: string }
      await restore(alice, saved.replace(doc.publicKey, bobDoc.publicKey))
      // before unlocking, the edited public key is all anyone can see…
      assert.equal(Buffer.from((await loadPublicKey(d, 'alice')).publicKey).toString('base64'), bobDoc.publicKey)
      // …but it cannot be unlocked as alice
      await rejectsWith(unlockKey(d, 'alice', PASS), 'CLI_KEY_PASSPHRASE')
      await restore(alice, saved)
    })

    it("bob's ciphertext moved into alice's file: CLI_KEY_PASSPHRASE", async () => {
      const saved = await fs.readFile(alice, 'utf8')
      const a = JSON.parse(saved) as Record<string, unknown>
      const b = JSON.parse(await fs.readFile(bob, 'utf8')) as Record<string, unknown>
      await restore(alice, JSON.stringify({ ...a, kdf: b['kdf'], cipher: b['cipher'] }))
      await rejectsWith(unlockKey(d, 'alice', PASS), 'CLI_KEY_PASSPHRASE')
      await restore(alice, saved)
      assert.ok((await unlockKey(d, 'alice', PASS)).seed.length === 32)
    })
  })
})
