import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { FrameError, parseClientFrame } from './frames.js'

const sig = Buffer.alloc(64, 7).toString('base64')
const hello = { type: 'hello', deviceId: 'dev-1', signature: sig, state: { rootVersion: 1, checkpointSize: 0 }, agentVersion: '1.0' }

describe('parseClientFrame', () => {
  it('reads each frame type', () => {
    const h = parseClientFrame(JSON.stringify(hello))
    assert.equal(h.type, 'hello')
    if (h.type === 'hello') assert.deepEqual([h.deviceId, h.signature.length, h.state, h.agentVersion], ['dev-1', 64, hello.state, '1.0'])
    assert.deepEqual(parseClientFrame('{"type":"result","envelope":"{}"}'), { type: 'result', envelope: '{}', state: null })
    assert.deepEqual(parseClientFrame('{"type":"rejection","envelope":"e","state":{"rootVersion":2,"checkpointSize":9}}'), {
      type: 'rejection', envelope: 'e', state: { rootVersion: 2, checkpointSize: 9 },
    })
    assert.deepEqual(parseClientFrame('{"type":"inventory","inventory":{"a":1},"digest":null}'), { type: 'inventory', inventory: { a: 1 }, digest: null })
  })

  const refused: [string, unknown][] = [
    ['an unknown type', { type: 'exec' }],
    ['an unknown field', { ...hello, extra: 1 }],
    ['a bad device id', { ...hello, deviceId: '../x' }],
    ['a short signature', { ...hello, signature: Buffer.alloc(63).toString('base64') }],
    ['url-safe base64', { ...hello, signature: sig.replace(/\+/g, '-') + '-' }],
    ['a negative size', { ...hello, state: { rootVersion: 1, checkpointSize: -1 } }],
    ['a fractional version', { ...hello, state: { rootVersion: 1.5, checkpointSize: 0 } }],
    ['a state with extra fields', { ...hello, state: { rootVersion: 1, checkpointSize: 0, x: 1 } }],
    ['a non-string envelope', { type: 'result', envelope: {} }],
    ['an array inventory', { type: 'inventory', inventory: [], digest: null }],
    ['an upper-case digest', { type: 'inventory', inventory: {}, digest: 'A'.repeat(64) }],
  ]
  for (const [what, frame] of refused) {
    it(`refuses ${what} with a FrameError`, () => {
      assert.throws(() => parseClientFrame(JSON.stringify(frame)), FrameError)
    })
  }

  it('throws only FrameError on random and mutated input', () => {
    const base = JSON.stringify(hello)
    for (let i = 0; i < 3000; i++) {
      let text: string
      if (i % 3 === 0) text = randomBytes(i % 64).toString('latin1')
      else {
        const chars = [...base]
        const n = 1 + (i % 4)
        for (let j = 0; j < n; j++) chars[(i * 7 + j * 13) % chars.length] = String.fromCharCode((i * 31 + j) % 128)
        text = chars.join('')
      }
      try {
        parseClientFrame(text)
      } catch (e) {
        assert.ok(e instanceof FrameError, `${JSON.stringify(text)}: ${String(e)}`)
      }
    }
  })
})
