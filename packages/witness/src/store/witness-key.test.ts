import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cosignature, toBase64 } from '@palisade/protocol'
import { isWitnessError } from '../errors.js'
import { ensureDataDir } from './data-dir.js'
import { defaultWitnessName, loadOrCreateWitnessKey, loadWitnessKey } from './witness-key.js'

describe('witness key (witness-key.json)', () => {
  let root: string
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'palisade-witness-key-'))
  })
  after(async () => rm(root, { recursive: true, force: true }))

  it('is made once, private (0600), and its verifier key is cosignature/v1 under the name', async () => {
    const paths = await ensureDataDir(join(root, 'one'))
    assert.equal(await loadWitnessKey(paths), undefined)
    const k = await loadOrCreateWitnessKey(paths, 'witness.example.com')
    assert.equal((await stat(paths.key)).mode & 0o777, 0o600)
    assert.equal((await stat(paths.dir)).mode & 0o777, 0o700)
    const v = cosignature.witnessVerifierFromString(k.verifierKey)
    assert.deepEqual([v.name, toBase64(v.publicKey)], ['witness.example.com', toBase64(k.publicKey)])
    const again = await loadOrCreateWitnessKey(paths)
    assert.equal(again.verifierKey, k.verifierKey)
    assert.equal(JSON.parse(await readFile(paths.key, 'utf8')).seed, toBase64(k.seed))
  })

  it('refuses another name for an existing key: WIT_NAME_MISMATCH', async () => {
    const paths = await ensureDataDir(join(root, 'one'))
    await assert.rejects(loadOrCreateWitnessKey(paths, 'other.example.com'), (e) => isWitnessError(e, 'WIT_NAME_MISMATCH'))
  })

  it('refuses a name with a space or a plus: WIT_NAME_INVALID', async () => {
    const paths = await ensureDataDir(join(root, 'two'))
    for (const bad of ['a b', 'a+b', '']) {
      await assert.rejects(loadOrCreateWitnessKey(paths, bad), (e) => isWitnessError(e, 'WIT_NAME_INVALID'))
    }
    assert.equal(await loadWitnessKey(paths), undefined)
  })

  it('makes exactly one key when many callers race on an empty directory', async () => {
    const paths = await ensureDataDir(join(root, 'race'))
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateWitnessKey(paths, 'race.example')))
    assert.equal(new Set(keys.map((k) => k.verifierKey)).size, 1)
  })

  it('refuses a key file other users can read: WIT_DATA_INSECURE', { skip: process.platform === 'win32' }, async () => {
    const paths = await ensureDataDir(join(root, 'loose'))
    await loadOrCreateWitnessKey(paths, 'loose.example')
    await chmod(paths.key, 0o644)
    await assert.rejects(loadOrCreateWitnessKey(paths), (e) => isWitnessError(e, 'WIT_DATA_INSECURE'))
  })

  it('defaults the name to the host name', () => {
    assert.equal(typeof defaultWitnessName(), 'string')
  })
})
