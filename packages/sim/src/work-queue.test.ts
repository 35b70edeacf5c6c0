import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { WorkQueue } from './work-queue.js'

function busy(ms: number): void {
  for (const until = performance.now() + ms; performance.now() < until; );
}

describe('WorkQueue', () => {
  it('runs tasks in the order pushed, and a throwing task only reports its error', async () => {
    const errors: unknown[] = []
    const q = new WorkQueue((e) => errors.push(e))
    const ran: number[] = []
    for (let i = 0; i < 5; i++) q.push(() => (i === 2 ? (() => { throw new Error('task 2') })() : ran.push(i)))
    await new Promise((r) => setTimeout(r, 20))
    assert.deepEqual(ran, [0, 1, 3, 4])
    assert.equal((errors[0] as Error).message, 'task 2')
    assert.equal(q.size, 0)
  })

  // The point of the queue: a backlog of slow tasks (verifications) must
  // not hold up I/O, or pings wait behind it and the server drops devices.
  it('lets the event loop run between slices of a long backlog', async () => {
    const q = new WorkQueue(() => undefined, 5)
    let done = 0
    for (let i = 0; i < 100; i++) q.push(() => (busy(2), done++))
    const t0 = performance.now()
    const timerAt = await new Promise<number>((r) => setTimeout(() => r(performance.now() - t0), 1))
    assert.ok(done < 100, `the timer waited for the whole backlog (${done} of 100 tasks done first)`)
    assert.ok(timerAt < 100, `the timer fired after ${timerAt.toFixed(0)} ms, behind ~200 ms of tasks`)
    while (q.size > 0) await new Promise((r) => setTimeout(r, 10))
    assert.equal(done, 100)
  })
})
