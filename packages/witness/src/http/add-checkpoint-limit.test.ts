import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { addWitnessedLog, startWitness } from '../index.js'
import { addCheckpoint, TestLog } from '../test-log.test.helper.js'
import { ADD_CHECKPOINT_LIMITS, AddCheckpointLimit } from './add-checkpoint-limit.js'
import { RateLimiter } from './rate-limiter.js'

describe('add-checkpoint rate limit', () => {
  let root: string
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'palisade-witness-limit-'))
  })
  after(async () => rm(root, { recursive: true, force: true }))

  it('limits every request per address with the generous tier, other addresses unaffected', () => {
    const l = new AddCheckpointLimit({ all: { burst: 2, perSecond: 0.5 } })
    assert.equal(l.admit('a', 0), undefined)
    assert.equal(l.admit('a', 0), undefined)
    assert.deepEqual(l.admit('a', 0), { retryAfter: 2, detail: 'too many add-checkpoint requests from a; retry later' })
    assert.equal(l.admit('b', 0), undefined)
    assert.equal(l.admit('a', 2000), undefined, 'refilled')
  })

  it('counts only unsigned failures against the strict tier', () => {
    const l = new AddCheckpointLimit({ unsigned: { burst: 2, perSecond: 0.1 } })
    assert.equal(l.mayFailUnsigned('a', 0), true)
    l.failedUnsigned('a', 0)
    assert.equal(l.mayFailUnsigned('a', 0), true, 'peeking takes nothing')
    l.failedUnsigned('a', 0)
    assert.equal(l.mayFailUnsigned('a', 0), false)
    assert.equal(l.mayFailUnsigned('b', 0), true)
    assert.equal(l.unsignedLimited('a').retryAfter, 10)
    assert.equal(l.mayFailUnsigned('a', 10_000), true, 'refilled')
  })

  it('peek neither takes a token nor creates a bucket', () => {
    const r = new RateLimiter({ burst: 1, perSecond: 1 })
    assert.equal(r.peek('x', 0), true)
    assert.equal(r.size, 0)
    assert.equal(r.take('x', 0), true)
    assert.equal(r.peek('x', 0), false)
    assert.equal(r.peek('x', 1000), true)
  })

  it('answers 429 WIT_RATE_LIMITED with Retry-After to junk past the strict burst, records none of it, and still cosigns the log (N4)', async () => {
    const dir = join(root, 'data')
    const log = (await TestLog.create('example.com/limited')).grow(3)
    await addWitnessedLog(dir, log.vkey)
    const w = await startWitness({ listen: '127.0.0.1:0', dataDir: dir, logger: false })
    try {
      const burst = ADD_CHECKPOINT_LIMITS.unsigned.burst
      for (let i = 0; i < burst; i++) {
        const junk = await addCheckpoint(w.url, i % 2 === 0 ? 'junk\n' : 'old 0\n\nunknown.example/log\n1\nAAAA\n\n— unknown.example/log AAAA\n')
        assert.ok(junk.status === 400 || junk.status === 404, `${junk.status} ${junk.body}`)
      }
      const refused = await fetch(`${w.url}/add-checkpoint`, { method: 'POST', body: 'junk\n' })
      assert.equal(refused.status, 429)
      assert.equal(refused.headers.get('retry-after'), String(Math.ceil(1 / ADD_CHECKPOINT_LIMITS.unsigned.perSecond)))
      assert.match(await refused.text(), /^WIT_RATE_LIMITED: too many add-checkpoint requests without a valid log signature from 127\.0\.0\.1/)
      // a body over the limit from that address is turned away too
      const large = await fetch(`${w.url}/add-checkpoint`, { method: 'POST', body: 'x'.repeat(70_000) })
      assert.equal(large.status, 429)
      // the log's own signed requests from the same address still pass, and their refusals are still answered
      assert.equal((await addCheckpoint(w.url, await log.request(0, 3))).status, 200)
      const stale = await addCheckpoint(w.url, await log.request(0, 3))
      assert.deepEqual([stale.status, stale.body], [409, '3\n'])
      const lines = (await readFile(join(dir, 'refusals.jsonl'), 'utf8')).trim().split('\n')
      assert.equal(lines.length, burst + 1, 'the rate-limited requests were not recorded')
    } finally {
      await w.close()
    }
  })
})
