import { describe, it, before } from 'node:test'
import assert from 'node:assert/strict'
import { merkle, note } from '@palisade/protocol'
import { forkOf, TestLog } from '../test-log.test.helper.js'
import { parseAddCheckpointRequest } from './add-checkpoint-request.js'
import { emptyHead, judgeAddCheckpoint, type StoredHead } from './judge.js'

describe('judgeAddCheckpoint', () => {
  let log: TestLog
  let key: note.Verifier
  let at9: StoredHead
  const judge = async (body: Promise<string>, stored: StoredHead) => judgeAddCheckpoint(parseAddCheckpointRequest(await body), key, stored)

  before(async () => {
    log = (await TestLog.create('example.com/judge')).grow(16)
    key = note.verifierFromString(log.vkey)
    at9 = { size: 9, rootHash: log.root(9) }
  })

  it('accepts the first checkpoint with old 0 and an empty proof', async () => {
    const j = await judge(log.request(0, 5), emptyHead())
    assert.ok(j.ok)
    assert.equal(j.checkpoint.size, 5)
    assert.equal(j.logSignatures.length, 1)
  })

  it('accepts a consistent extension, and the same checkpoint again', async () => {
    assert.ok((await judge(log.request(9, 16), at9)).ok)
    assert.ok((await judge(log.request(9, 9), at9)).ok)
  })

  it('drops signatures by unknown keys and keeps the log signature', async () => {
    const other = await TestLog.create('example.com/other')
    const signed = await note.sign(note.parse(await log.checkpoint(9)), [other.signer])
    const j = judgeAddCheckpoint(parseAddCheckpointRequest(`old 9\n\n${signed}`), key, at9)
    assert.ok(j.ok)
    assert.deepEqual(j.logSignatures.map((s) => s.name), ['example.com/judge'])
  })

  it('refuses a note signed by another key of the same name: WIT_LOG_SIG', async () => {
    const impostor = await TestLog.create('example.com/judge', 'impostor')
    const j = await judge(log.request(9, 16, { signer: impostor.signer }), at9)
    assert.deepEqual([j.ok, !j.ok && j.code], [false, 'WIT_LOG_SIG'])
  })

  it('refuses old size > checkpoint size: WIT_OLD_SIZE_TOO_LARGE, before the stored size', async () => {
    const j = await judge(log.request(12, 5, { proof: [] }), at9)
    assert.deepEqual([j.ok, !j.ok && j.code], [false, 'WIT_OLD_SIZE_TOO_LARGE'])
  })

  it('refuses an old size other than the stored one: WIT_OLD_SIZE_CONFLICT with the stored size', async () => {
    const j = await judge(log.request(5, 16), at9)
    assert.ok(!j.ok)
    assert.equal(j.code, 'WIT_OLD_SIZE_CONFLICT')
    assert.equal(j.storedSize, 9)
    assert.equal(j.checkpoint?.size, 16)
  })

  it('refuses a same-size checkpoint with another root: WIT_ROOT_MISMATCH', async () => {
    const fork = await forkOf(log, 4, 9)
    const j = await judge(fork.request(9, 9), at9)
    assert.deepEqual([j.ok, !j.ok && j.code], [false, 'WIT_ROOT_MISMATCH'])
  })

  it('refuses a same-size request with a non-empty proof: WIT_PROOF_INVALID', async () => {
    const j = await judge(log.request(9, 9, { proof: log.proof(5, 9) }), at9)
    assert.deepEqual([j.ok, !j.ok && j.code], [false, 'WIT_PROOF_INVALID'])
  })

  it('refuses an extension that does not contain the stored tree: WIT_PROOF_INVALID', async () => {
    const fork = await forkOf(log, 7, 16)
    const j = await judge(fork.request(9, 16), at9)
    assert.deepEqual([j.ok, !j.ok && j.code], [false, 'WIT_PROOF_INVALID'])
  })

  it('refuses a proof from old 0 that is not empty: WIT_PROOF_INVALID', async () => {
    const j = await judge(log.request(0, 5, { proof: log.proof(4, 5) }), emptyHead())
    assert.deepEqual([j.ok, !j.ok && j.code], [false, 'WIT_PROOF_INVALID'])
  })

  it('treats a never-cosigned log as the empty tree: size 0 needs the empty root', async () => {
    assert.ok((await judge(log.request(0, 0, { rootHash: merkle.emptyRoot() }), emptyHead())).ok)
    const j = await judge(log.request(0, 0, { rootHash: log.root(1) }), emptyHead())
    assert.deepEqual([j.ok, !j.ok && j.code], [false, 'WIT_ROOT_MISMATCH'])
  })
})
