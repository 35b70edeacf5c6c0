import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { dsse, formatReport, type CommandResult } from '@palisade/protocol'
import { cutEncoded, encodedLength, fitOutput, safeText } from './fit-output.js'

const base: CommandResult = {
  type: 'palisade.result/v1',
  org: 'acme',
  commandId: 'cmd-1',
  deviceId: 'dev-1',
  status: 'completed',
  exitCode: 0,
  signal: null,
  stdout: '',
  stderr: '',
  stdoutTruncated: false,
  stderrTruncated: false,
  startedAt: 1,
  finishedAt: 2,
}
const LIMIT = dsse.DSSE_LIMITS.maxPayloadBytes

describe('fitOutput', () => {
  it('returns a result that fits unchanged', () => {
    const r = { ...base, stdout: 'hello\n' }
    assert.equal(fitOutput(r), r)
  })

  it('cuts two full 1 MiB streams to fit one signed payload and flags both', () => {
    const r = { ...base, stdout: 'a'.repeat(1 << 20), stderr: 'b'.repeat(1 << 20) }
    const f = fitOutput(r)
    assert.ok(formatReport(f).length <= LIMIT)
    assert.ok(f.stdoutTruncated && f.stderrTruncated)
    assert.ok(Math.abs(f.stdout.length - f.stderr.length) <= 1)
  })

  it('gives the room a short stream does not need to the long one', () => {
    const f = fitOutput({ ...base, stdout: 'x'.repeat(2 << 20), stderr: 'short' })
    assert.equal(f.stderr, 'short')
    assert.equal(f.stderrTruncated, false)
    assert.ok(f.stdoutTruncated)
    assert.ok(formatReport(f).length > LIMIT - 200, 'uses nearly all the room')
    assert.ok(formatReport(f).length <= LIMIT)
  })

  it('accounts for JSON escaping of control bytes and never splits a surrogate pair', () => {
    const f = fitOutput({ ...base, stdout: '\u0001'.repeat(300_000), stderr: '😀'.repeat(300_000) })
    assert.ok(formatReport(f).length <= LIMIT) // would throw on a lone surrogate
    assert.equal(f.stderr.length % 2, 0)
  })
})

describe('encodedLength and cutEncoded', () => {
  it('count what canonical JSON writes', () => {
    for (const s of ['', 'abc', '"\\\n\t', '\u0000\u001f', 'é€😀', '\u2028']) {
      assert.equal(encodedLength(s), Buffer.byteLength(JSON.stringify(s)) - 2, JSON.stringify(s))
    }
    assert.equal(cutEncoded('ab😀', 5), 'ab')
    assert.equal(cutEncoded('ab😀', 6), 'ab😀')
  })
})

describe('safeText', () => {
  it('replaces lone surrogates and cuts on a code-point boundary', () => {
    assert.equal(safeText('a\uD800b\uDC00', 10), 'a\uFFFDb\uFFFD')
    assert.equal(safeText('a😀', 2), 'a')
  })
})
