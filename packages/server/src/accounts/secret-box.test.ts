import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ServerError } from '../errors.js'
import { SecretBox, SecretBoxError } from './secret-box.js'
import { loadSecretBox, SECRET_KEY_FILE } from './secret-key-file.js'

const key = (b: number) => new Uint8Array(32).fill(b)

describe('SecretBox', () => {
  it('opens what it sealed, under the same context; each seal differs', () => {
    const box = new SecretBox(key(1))
    const a = box.seal('JBSWY3DPEHPK3PXP', 'totp:admin-1')
    const b = box.seal('JBSWY3DPEHPK3PXP', 'totp:admin-1')
    assert.match(a, /^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/)
    assert.notEqual(a, b)
    assert.equal(box.open(a, 'totp:admin-1'), 'JBSWY3DPEHPK3PXP')
    assert.ok(!a.includes('JBSWY3DP'))
  })

  it('refuses a value swapped to another admin (other context)', () => {
    const box = new SecretBox(key(1))
    const sealed = box.seal('secret', 'totp:admin-1')
    assert.throws(() => box.open(sealed, 'totp:admin-2'), SecretBoxError)
  })

  it('refuses a value under another key', () => {
    const sealed = new SecretBox(key(1)).seal('secret', 'c')
    assert.throws(() => new SecretBox(key(2)).open(sealed, 'c'), SecretBoxError)
  })

  it('refuses every single-character tampering and malformed text', () => {
    const box = new SecretBox(key(1))
    const sealed = box.seal('secret', 'c')
    for (let i = 3; i < sealed.length; i++) {
      const c = sealed[i] === 'A' ? 'B' : 'A'
      const tampered = sealed.slice(0, i) + c + sealed.slice(i + 1)
      if (tampered === sealed) continue
      assert.throws(() => box.open(tampered, 'c'), SecretBoxError, `position ${i}`)
    }
    for (const bad of ['', 'v1', 'v2.AAAA.BBBB', 'v1..', 'v1.AAAA.BBBB', sealed.replace('v1', 'v0')]) {
      assert.throws(() => box.open(bad, 'c'), SecretBoxError, bad)
    }
  })

  it('needs a 32-byte key and never serialises it', () => {
    assert.throws(() => new SecretBox(new Uint8Array(31)), RangeError)
    assert.equal(JSON.stringify({ box: new SecretBox(key(9)) }), '{"box":"[SecretBox]"}')
  })
})

describe('loadSecretBox', () => {
  const dir = (t: { after(fn: () => void): void }): string => {
    const d = mkdtempSync(join(tmpdir(), 'palisade-secret-'))
    t.after(() => rmSync(d, { recursive: true, force: true }))
    return d
  }

  it('creates <dataDir>/secret.key with mode 0600 on first start and reuses it afterwards', async (t) => {
    const dataDir = join(dir(t), 'nested', 'data')
    const box = await loadSecretBox({ dataDir, secretKey: null })
    const path = join(dataDir, SECRET_KEY_FILE)
    const st = statSync(path)
    assert.equal(st.mode & 0o777, 0o600)
    assert.equal(st.size, 32)
    const sealed = box.seal('x', 'c')
    const again = await loadSecretBox({ dataDir, secretKey: null })
    assert.equal(again.open(sealed, 'c'), 'x')
  })

  it('gives concurrent first starts the same key (link, never overwrite)', async (t) => {
    const dataDir = dir(t)
    const boxes = await Promise.all(Array.from({ length: 8 }, () => loadSecretBox({ dataDir, secretKey: null })))
    const sealed = boxes[0]!.seal('x', 'c')
    for (const b of boxes) assert.equal(b.open(sealed, 'c'), 'x')
  })

  it('refuses a key file readable by others, of the wrong size, or a symlink, naming the file', async (t) => {
    const dataDir = dir(t)
    const path = join(dataDir, SECRET_KEY_FILE)
    writeFileSync(path, Buffer.alloc(32, 1), { mode: 0o644 })
    chmodSync(path, 0o644)
    await assert.rejects(loadSecretBox({ dataDir, secretKey: null }), (e: unknown) => e instanceof ServerError && e.code === 'SRV_CONFIG_INVALID' && /chmod 600/.test(e.message) && e.message.includes(path))
    chmodSync(path, 0o600)
    writeFileSync(path, Buffer.alloc(31, 1))
    await assert.rejects(loadSecretBox({ dataDir, secretKey: null }), /exactly 32 bytes/)
    rmSync(path)
    const real = join(dataDir, 'elsewhere.key')
    writeFileSync(real, Buffer.alloc(32, 1), { mode: 0o600 })
    symlinkSync(real, path)
    await assert.rejects(loadSecretBox({ dataDir, secretKey: null }), /regular file/)
  })

  it('uses PALISADE_SECRET_KEY when set, and then never touches the data directory', async (t) => {
    const dataDir = dir(t)
    const k = Buffer.alloc(32, 5)
    const fromEnv = await loadSecretBox({ dataDir, secretKey: k.toString('base64') })
    assert.equal(new SecretBox(k).open(fromEnv.seal('x', 'c'), 'c'), 'x')
    assert.throws(() => readFileSync(join(dataDir, SECRET_KEY_FILE)), /ENOENT/)
  })
})
