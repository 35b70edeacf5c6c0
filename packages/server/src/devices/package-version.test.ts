import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { compareVersions } from './package-version.js'

describe('compareVersions (dpkg ordering)', () => {
  const ascending = [
    '0.9',
    '1.0~~',
    '1.0~~a',
    '1.0~',
    '1.0~rc1',
    '1.0',
    '1.0-1',
    '1.0-1ubuntu0.1',
    '1.0-1ubuntu1',
    '1.0-2',
    '1.0a',
    '1.0+dfsg',
    '1.00.1',
    '1.2',
    '1.10',
    '3.0.2-0ubuntu1.15',
    '3.0.13-1~deb12u1',
    '3.0.13-1',
    '3.0.14',
    '20240101',
    '1:0.1',
    '2:0.0',
    '10:0.0',
  ]

  it('orders a list the way dpkg --compare-versions does', () => {
    for (let i = 0; i < ascending.length; i++) {
      for (let j = 0; j < ascending.length; j++) {
        const got = Math.sign(compareVersions(ascending[i]!, ascending[j]!))
        assert.equal(got, Math.sign(i - j), `${ascending[i]} vs ${ascending[j]}`)
      }
    }
  })

  it('treats leading zeros, a missing epoch and epoch 0 as equal', () => {
    assert.equal(compareVersions('1.01', '1.1'), 0)
    assert.equal(compareVersions('0:1.1', '1.1'), 0)
    assert.equal(compareVersions('1.0-0', '1.0-00'), 0)
  })

  it('compares digit runs longer than a double holds', () => {
    assert.ok(compareVersions('1.123456789012345678901', '1.123456789012345678900') > 0)
  })

  it('does not take a colon after a non-number for an epoch', () => {
    assert.ok(compareVersions('a:1', 'b:1') < 0)
  })
})
