import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { PublishQueue } from './publish-queue.js'

describe('PublishQueue', () => {
  it('runs one job per key at a time, and callers arriving during a run share the next one', async () => {
    const queue = new PublishQueue<number>()
    let running = 0
    let max = 0
    let runs = 0
    const work = async () => {
      running++
      max = Math.max(max, running)
      await sleep(20)
      running--
      return ++runs
    }
    const first = queue.run('a', work)
    const rest = Array.from({ length: 9 }, () => queue.run('a', work))
    assert.deepEqual(await Promise.all([first, ...rest]), [1, 2, 2, 2, 2, 2, 2, 2, 2, 2])
    assert.equal(max, 1)
    assert.equal(await queue.run('a', work), 3, 'a caller after everything settled starts a fresh run')
  })

  it('keeps keys independent', async () => {
    const queue = new PublishQueue<string>()
    let concurrent = 0
    let max = 0
    const work = async (key: string) => {
      concurrent++
      max = Math.max(max, concurrent)
      await sleep(10)
      concurrent--
      return key
    }
    assert.deepEqual(await Promise.all([queue.run('a', work), queue.run('b', work)]), ['a', 'b'])
    assert.equal(max, 2)
  })

  it('gives a failure to the callers of that run only; the queued run still happens', async () => {
    const queue = new PublishQueue<number>()
    let n = 0
    const work = async () => {
      n++
      await sleep(5)
      if (n === 1) throw new Error('witnesses down')
      return n
    }
    const a = queue.run('k', work)
    const b = queue.run('k', work)
    await assert.rejects(a, /witnesses down/)
    assert.equal(await b, 2)
  })

  it('turns a synchronous throw into a rejection', async () => {
    const queue = new PublishQueue<number>()
    await assert.rejects(queue.run('k', () => { throw new Error('sync') }), /sync/)
    assert.equal(await queue.run('k', async () => 7), 7)
  })
})
