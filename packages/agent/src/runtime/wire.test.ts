import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { authMessage, parseServerFrame } from './wire.js'

const NONCE = Buffer.alloc(32, 7).toString('base64')

describe('parseServerFrame', () => {
  it('reads every frame of WIRE.md', () => {
    assert.deepEqual(parseServerFrame(JSON.stringify({ type: 'challenge', nonce: NONCE })), { type: 'challenge', nonce: NONCE })
    assert.deepEqual(parseServerFrame('{"type":"welcome"}'), { type: 'welcome' })
    assert.deepEqual(parseServerFrame('{"type":"delivery","commandId":"cmd-1","delivery":{"x":1}}'), {
      type: 'delivery',
      commandId: 'cmd-1',
      delivery: { x: 1 },
    })
    assert.deepEqual(parseServerFrame('{"type":"ack","commandId":"cmd-1"}'), { type: 'ack', commandId: 'cmd-1' })
    assert.deepEqual(parseServerFrame('{"type":"ack","commandId":null}'), { type: 'ack', commandId: null })
    assert.deepEqual(parseServerFrame('{"type":"error","code":"SRV_X","message":"m"}'), { type: 'error', code: 'SRV_X', message: 'm' })
  })

  it('labels a delivery whose server-side id is not an id as null, and keeps the delivery', () => {
    assert.deepEqual(parseServerFrame('{"type":"delivery","commandId":"../x","delivery":1}'), { type: 'delivery', commandId: null, delivery: 1 })
  })

  it('refuses what it cannot use, without throwing', () => {
    for (const text of ['nope', '[]', 'null', '{"type":"challenge","nonce":"AAAA"}', '{"type":"ack","commandId":"a b"}', '{"type":"delivery"}', '{"type":"hello"}']) {
      assert.equal(parseServerFrame(text).type, 'invalid', text)
    }
  })
})

describe('authMessage', () => {
  it('is the domain-separated challenge text of WIRE.md', () => {
    assert.equal(new TextDecoder().decode(authMessage(NONCE, 'dev-1')), `palisade-agent-auth/v1\n${NONCE}\ndev-1`)
  })
})
