import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { KeyedMutex } from './keyed-mutex.js'

describe('KeyedMutex', () => {
  it('runs one task at a time per key, in order, and keys independently', async () => {
    const m = new KeyedMutex()
    const trace: string[] = []
    const task = (key: string, id: string, ms: number) =>
      m.run(key, async () => {
        trace.push(`${id}+`)
        await sleep(ms)
        trace.push(`${id}-`)
        return id
      })
    const results = await Promise.all([task('a', 'a1', 20), task('a', 'a2', 1), task('b', 'b1', 5), task('a', 'a3', 1)])
    assert.deepEqual(results, ['a1', 'a2', 'b1', 'a3'])
    const a = trace.filter((t) => t.startsWith('a'))
    assert.deepEqual(a, ['a1+', 'a1-', 'a2+', 'a2-', 'a3+', 'a3-'])
    assert.ok(trace.indexOf('b1-') < trace.indexOf('a1-'), 'b does not wait for a')
  })

  it('releases the key when a task throws', async () => {
    const m = new KeyedMutex()
    await assert.rejects(m.run('k', async () => Promise.reject(new Error('boom'))), /boom/)
    assert.equal(await m.run('k', async () => 1), 1)
  })
})
