import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { CommandDetail, DeviceResult } from '../http/commands-api.js'
import { progressLine, progressOf } from './command-progress.js'
import { formatCommandResults, formatResult } from './command-results.js'

const result = (deviceId: string, over: Partial<DeviceResult> = {}): DeviceResult => ({
  deviceId, status: 'completed', exitCode: 0, signal: null, stdout: '', stderr: '', stdoutTruncated: false, stderrTruncated: false, startedAt: 0, finishedAt: 1200, ...over,
})

function detail(status: string, deliveries: [string, string][], results: DeviceResult[]): CommandDetail {
  return { id: 'cmd-1', status, payload: new Uint8Array(0), signatures: [{ keyid: 'k1', name: 'alice' }, { keyid: 'k2', name: 'bob' }], threshold: 2, logIndex: 3, deliveries: deliveries.map(([deviceId, s]) => ({ deviceId, status: s })), results }
}

describe('progressOf', () => {
  it('counts answers and groups the devices still waiting by delivery status', () => {
    const p = progressOf(detail('delivering', [['a', 'completed'], ['b', 'completed'], ['c', 'sent']], [result('a'), result('b')]))
    assert.deepEqual({ ...p, waiting: { ...p.waiting } }, { status: 'delivering', total: 3, answered: 2, succeeded: 2, failed: 0, waiting: { sent: 1 }, finished: false, ok: false })
    assert.equal(progressLine(p), 'delivering · 2/3 done · 1 sent')
  })

  it('is finished and ok only when every target succeeded', () => {
    const ok = progressOf(detail('done', [['a', 'completed']], [result('a')]))
    assert.equal(ok.finished && ok.ok, true)
    const failed = progressOf(detail('done', [['a', 'completed'], ['b', 'completed']], [result('a'), result('b', { exitCode: 3 })]))
    assert.deepEqual([failed.finished, failed.ok, failed.failed], [true, false, 1])
    const timedOut = progressOf(detail('done', [['a', 'completed']], [result('a', { status: 'timed-out', exitCode: null, signal: 'SIGKILL' })]))
    assert.equal(timedOut.ok, false)
  })

  it('counts a rejected delivery as an answer that failed', () => {
    const p = progressOf(detail('done', [['a', 'completed'], ['b', 'rejected']], [result('a')]))
    assert.deepEqual([p.answered, p.failed, p.finished, p.ok], [2, 1, true, false])
    assert.equal(progressLine(p), 'done · 2/2 done · 1 failed')
    assert.match(formatCommandResults(detail('done', [['a', 'completed'], ['b', 'rejected']], [result('a')])), /\nb  REJECTED  the device refused to run it/)
  })

  it('is not finished while awaiting signatures, even with no targets yet', () => {
    const p = progressOf(detail('awaiting-signatures', [], []))
    assert.deepEqual([p.finished, p.ok, p.total], [false, false, 0])
  })
})

describe('formatResult', () => {
  it('shows status, exit code, time, both streams indented, and marks truncation', () => {
    const text = formatResult(result('dev-1', { exitCode: 2, stdout: 'a\nb\n', stderr: 'oops', stderrTruncated: true }))
    assert.equal(text, 'dev-1  FAILED  completed · exit 2 · 1.2s\n  stdout:\n    a\n    b\n  stderr:\n    oops\n    [stderr TRUNCATED by the agent\'s output cap]\n')
  })
})
