import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isWitnessError } from '../errors.js'
import { TestLog } from '../test-log.test.helper.js'
import { ensureDataDir, type DataPaths } from './data-dir.js'
import { addLog, LogRegistry, parseLogKey, readLogs } from './log-registry.js'
import { loadOrCreateWitnessKey } from './witness-key.js'

describe('log registry (logs.json)', () => {
  let root: string
  let paths: DataPaths
  let a: TestLog
  let b: TestLog
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'palisade-witness-logs-'))
    paths = await ensureDataDir(join(root, 'data'))
    a = await TestLog.create('example.com/a')
    b = await TestLog.create('example.com/b')
  })
  after(async () => rm(root, { recursive: true, force: true }))

  it('takes the origin from the key name', () => {
    assert.equal(parseLogKey(a.vkey).origin, 'example.com/a')
  })

  it('refuses keys that are not Ed25519 note verifier keys: WIT_KEY_INVALID', async () => {
    const witnessKey = (await loadOrCreateWitnessKey(paths, 'w.example')).verifierKey // type 0x04
    const [name, hash, key] = a.vkey.split('+') as [string, string, string]
    for (const bad of [
      '',
      'bogus',
      witnessKey,
      `${name}+${hash}`,
      `${name}+00000000+${key}`, // wrong key hash
      `other.example+${hash}+${key}`, // the hash binds the name
      `${name}+${hash}+${key.slice(0, -4)}`, // short key
      `${name}+${hash.toUpperCase()}+${key}`,
      `a b+${hash}+${key}`,
    ]) {
      assert.throws(() => parseLogKey(bad), (e) => isWitnessError(e, 'WIT_KEY_INVALID'), bad)
    }
  })

  it('adds a log once, and never replaces its key', async () => {
    assert.deepEqual(await addLog(paths, a.vkey), { origin: 'example.com/a', added: true, pinned: false })
    assert.deepEqual(await addLog(paths, a.vkey), { origin: 'example.com/a', added: false, pinned: false })
    const impostor = await TestLog.create('example.com/a', 'impostor')
    await assert.rejects(addLog(paths, impostor.vkey), (e) => isWitnessError(e, 'WIT_LOG_EXISTS'))
    assert.deepEqual((await readLogs(paths)).map((l) => l.key), [a.vkey])
  })

  it('pins a root fingerprint once (also on a log added without one), and never replaces it', async () => {
    const fp = 'ab'.repeat(32)
    assert.deepEqual(await addLog(paths, a.vkey, fp), { origin: 'example.com/a', added: false, pinned: true })
    assert.deepEqual(await addLog(paths, a.vkey, fp), { origin: 'example.com/a', added: false, pinned: true })
    assert.deepEqual(await addLog(paths, a.vkey), { origin: 'example.com/a', added: false, pinned: true })
    await assert.rejects(addLog(paths, a.vkey, 'cd'.repeat(32)), (e) => isWitnessError(e, 'WIT_LOG_EXISTS'))
    await assert.rejects(addLog(paths, a.vkey, 'AB'.repeat(32)), (e) => isWitnessError(e, 'WIT_CONFIG'))
    assert.deepEqual((await readLogs(paths)).map((l) => [l.key, l.rootFingerprint]), [[a.vkey, fp]])
  })

  it('refuses a logs.json whose origin is not its key name, or lists an origin twice', async () => {
    const good = await readFile(paths.logs, 'utf8')
    for (const logs of [[{ origin: 'example.com/z', key: a.vkey }], [{ origin: 'example.com/a', key: a.vkey }, { origin: 'example.com/a', key: a.vkey }]]) {
      await writeFile(paths.logs, JSON.stringify({ version: 1, logs }))
      await assert.rejects(readLogs(paths), (e) => isWitnessError(e, 'WIT_DATA_INVALID'))
    }
    await writeFile(paths.logs, good)
  })

  it('a running registry sees added logs, and keeps the last good list when the file breaks', async () => {
    const errors: unknown[] = []
    const registry = new LogRegistry(paths, (e) => errors.push(e))
    await registry.load()
    assert.deepEqual([...(await registry.current()).keys()], ['example.com/a'])
    await addLog(paths, b.vkey)
    assert.deepEqual([...(await registry.current()).keys()], ['example.com/a', 'example.com/b'])
    await writeFile(paths.logs, '{ not json')
    assert.deepEqual([...(await registry.current()).keys()], ['example.com/a', 'example.com/b'])
    await registry.current()
    assert.equal(errors.length, 1)
    assert.ok(isWitnessError(errors[0], 'WIT_DATA_INVALID'))
    await assert.rejects(new LogRegistry(paths, () => undefined).load(), (e) => isWitnessError(e, 'WIT_DATA_INVALID'))
  })
})
