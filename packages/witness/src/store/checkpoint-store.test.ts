import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { toBase64 } from '@palisade/protocol'
import { isWitnessError } from '../errors.js'
import { TestLog } from '../test-log.test.helper.js'
import { CheckpointStore } from './checkpoint-store.js'
import { checkpointPath, ensureDataDir, type DataPaths } from './data-dir.js'

describe('checkpoint store (checkpoints/*.json)', () => {
  let root: string
  let paths: DataPaths
  let log: TestLog
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'palisade-witness-store-'))
    paths = await ensureDataDir(join(root, 'data'))
    log = (await TestLog.create('example.com/store')).grow(5)
  })
  after(async () => rm(root, { recursive: true, force: true }))

  it('persists a checkpoint that a new store (a restarted witness) reads back', async () => {
    const state = { origin: log.origin, size: 5, rootHash: log.root(5), note: await log.checkpoint(5), cosignedAt: 1234 }
    await new CheckpointStore(paths).put(state)
    const read = await new CheckpointStore(paths).get(log.origin)
    assert.deepEqual({ ...read, rootHash: toBase64(read!.rootHash) }, { ...state, rootHash: toBase64(state.rootHash) })
    assert.equal(await new CheckpointStore(paths).get('example.com/none'), undefined)
  })

  it('never lets a read that raced a write bring back the older state', async () => {
    for (let i = 0; i < 20; i++) {
      const store = new CheckpointStore(paths)
      const reading = store.get(log.origin) // starts reading the file as it is
      const next = { origin: log.origin, size: 5, rootHash: log.root(5), note: await log.checkpoint(5), cosignedAt: 2000 + i }
      await store.put(next)
      await reading
      assert.equal((await store.get(log.origin))?.cosignedAt, 2000 + i)
    }
  })

  it('refuses a state file whose note does not match its size or root: WIT_DATA_INVALID', async () => {
    const path = checkpointPath(paths, log.origin)
    const doc = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>
    for (const bad of [{ ...doc, size: 4 }, { ...doc, rootHash: toBase64(log.root(4)) }, { ...doc, origin: 'x' }, { ...doc, note: 'x' }]) {
      await writeFile(path, JSON.stringify(bad))
      await assert.rejects(new CheckpointStore(paths).get(log.origin), (e) => isWitnessError(e, 'WIT_DATA_INVALID'))
    }
    await writeFile(path, '{"truncated":')
    await assert.rejects(new CheckpointStore(paths).get(log.origin), (e) => isWitnessError(e, 'WIT_DATA_INVALID'))
  })
})
