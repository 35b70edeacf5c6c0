// The agent gateway's server frames and challenge message (WIRE.md, "Agent
// gateway"), as the agent and the simulator read and sign them: every frame
// of WIRE.md, refusals without throwing, and random text never throwing.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { agentAuthMessage, AGENT_AUTH_CONTEXT, parseServerFrame, toBase64 } from '../../dist/node.js'

const NONCE = toBase64(new Uint8Array(32).fill(7))

describe('parseServerFrame', () => {
  describe('when the frame is one of WIRE.md', () => {
    it('reads it', () => {
      assert.deepEqual(parseServerFrame(JSON.stringify({ type: 'challenge', nonce: NONCE })), { type: 'challenge', nonce: NONCE })
      assert.deepEqual(parseServerFrame('{"type":"welcome"}'), { type: 'welcome' })
      assert.deepEqual(parseServerFrame('{"type":"delivery","commandId":"cmd-1","delivery":{"x":1}}'), { type: 'delivery', commandId: 'cmd-1', delivery: { x: 1 } })
      assert.deepEqual(parseServerFrame('{"type":"checkpoint","note":"n","consistency":[]}'), { type: 'checkpoint', update: { note: 'n', consistency: [] } })
      assert.deepEqual(parseServerFrame('{"type":"ack","commandId":"cmd-1"}'), { type: 'ack', commandId: 'cmd-1' })
      assert.deepEqual(parseServerFrame('{"type":"ack","commandId":null}'), { type: 'ack', commandId: null })
      assert.deepEqual(parseServerFrame('{"type":"error","code":"SRV_X","message":"m"}'), { type: 'error', code: 'SRV_X', message: 'm' })
    })
  })

  describe('when a delivery names its command with something that is not an id', () => {
    it('labels it null and keeps the delivery', () => {
      assert.deepEqual(parseServerFrame('{"type":"delivery","commandId":"../x","delivery":1}'), { type: 'delivery', commandId: null, delivery: 1 })
    })
  })

  describe('when the frame cannot be used', () => {
    it('returns invalid with a reason, without throwing', () => {
      const cases: [string, string][] = [
        ['nope', 'not JSON'],
        ['[]', 'not a JSON object'],
        ['null', 'not a JSON object'],
        ['{"type":"challenge","nonce":"AAAA"}', 'challenge without a 32-byte base64 nonce'],
        [JSON.stringify({ type: 'challenge', nonce: '%'.repeat(44) }), 'challenge nonce is not base64'],
        ['{"type":"ack","commandId":"a b"}', 'ack without a valid commandId'],
        ['{"type":"delivery"}', 'delivery frame without a delivery'],
        ['{"type":"hello"}', 'unknown frame type "hello"'],
      ]
      for (const [text, reason] of cases) assert.deepEqual(parseServerFrame(text), { type: 'invalid', reason }, text)
    })
  })

  describe('when an error frame carries long or odd fields', () => {
    it('bounds them', () => {
      const f = parseServerFrame(JSON.stringify({ type: 'error', code: 'C'.repeat(100), message: 'm'.repeat(1000) }))
      assert.ok(f.type === 'error' && f.code.length === 64 && f.message.length === 512)
      assert.deepEqual(parseServerFrame('{"type":"error","code":1}'), { type: 'error', code: '', message: '' })
    })
  })

  describe('when it is given random or mutated text (fuzz)', () => {
    it('never throws', () => {
      const frame = JSON.stringify({ type: 'challenge', nonce: NONCE })
      fc.assert(
        fc.property(fc.oneof(fc.string(), fc.json(), fc.tuple(fc.nat({ max: frame.length - 1 }), fc.string({ minLength: 1, maxLength: 1 })).map(([at, c]) => frame.slice(0, at) + c + frame.slice(at + 1))), (text) => {
          const f = parseServerFrame(text)
          assert.equal(typeof f.type, 'string')
        }),
        { numRuns: 2000 },
      )
    })
  })
})

describe('agentAuthMessage', () => {
  it('is the domain-separated challenge text of WIRE.md (golden)', () => {
    assert.equal(AGENT_AUTH_CONTEXT, 'palisade-agent-auth/v1')
    assert.equal(new TextDecoder().decode(agentAuthMessage(NONCE, 'dev-1')), `palisade-agent-auth/v1\n${NONCE}\ndev-1`)
  })
})
