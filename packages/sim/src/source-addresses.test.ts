import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { isSimError } from './errors.js'
import { parseSourceAddresses, sourceAddressFor } from './source-addresses.js'

describe('parseSourceAddresses', () => {
  it('expands ranges and lists, in order', () => {
    assert.deepEqual(parseSourceAddresses('127.0.0.2-127.0.0.4,127.0.1.1'), ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.1.1'])
  })
  it('crosses an octet boundary', () => {
    assert.deepEqual(parseSourceAddresses('127.0.0.255-127.0.1.1'), ['127.0.0.255', '127.0.1.0', '127.0.1.1'])
  })
  for (const bad of ['', '127.0.0.1,', '127.0.0.256', 'localhost', '127.0.0.5-127.0.0.4', '1.2.3.4-1.2.3.5-1.2.3.6', '127.0.0.0-127.0.255.255']) {
    it(`refuses ${JSON.stringify(bad)} with SIM_ARG_INVALID naming the option`, () => {
      assert.throws(() => parseSourceAddresses(bad), (e: unknown) => isSimError(e, 'SIM_ARG_INVALID') && e.message.startsWith('--source-addresses'))
    })
  }
})

describe('sourceAddressFor', () => {
  it('spreads agents round robin, and leaves the choice to the kernel without addresses', () => {
    assert.equal(sourceAddressFor(['a', 'b'], 3), 'b')
    assert.equal(sourceAddressFor([], 3), undefined)
  })
})
