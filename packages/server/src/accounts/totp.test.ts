import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Secret, TOTP } from 'otpauth'
import { acceptTotp, newTotpSecret, totpCode, totpUri } from './totp.js'

// RFC 6238 Appendix B, SHA-1 rows: the seed is the ASCII string "12345678901234567890".
const RFC6238_SHA1: ReadonlyArray<readonly [number, string]> = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
]

describe('TOTP through otpauth', () => {
  it('reproduces the RFC 6238 Appendix B SHA-1 vectors (8 digits, 30 s)', () => {
    const secret = Secret.fromLatin1('12345678901234567890')
    for (const [seconds, code] of RFC6238_SHA1) {
      assert.equal(TOTP.generate({ secret, algorithm: 'SHA1', digits: 8, period: 30, timestamp: seconds * 1000 }), code, `T=${seconds}`)
    }
  })

  it('uses the same algorithm for our 6-digit codes: the last 6 digits of the vectors', () => {
    const secret = Secret.fromLatin1('12345678901234567890').base32
    for (const [seconds, code] of RFC6238_SHA1) assert.equal(totpCode(secret, seconds * 1000), code.slice(2), `T=${seconds}`)
  })
})

describe('acceptTotp', () => {
  const secret = Secret.fromLatin1('12345678901234567890').base32
  const now = 1111111111 * 1000 // step 37037037

  it('accepts the current step and one step either side, returning the step', () => {
    assert.equal(acceptTotp(secret, '050471', now, null), 37037037)
    assert.equal(acceptTotp(secret, totpCode(secret, now - 30_000), now, null), 37037036)
    assert.equal(acceptTotp(secret, totpCode(secret, now + 30_000), now, null), 37037038)
  })

  it('refuses codes two steps away, malformed codes, and wrong codes', () => {
    assert.equal(acceptTotp(secret, totpCode(secret, now - 60_000), now, null), undefined)
    assert.equal(acceptTotp(secret, totpCode(secret, now + 60_000), now, null), undefined)
    for (const bad of ['', '05047', '0504711', '05047a', ' 50471']) assert.equal(acceptTotp(secret, bad, now, null), undefined, bad)
  })

  it('never accepts a step at or before the last accepted one (no replay)', () => {
    assert.equal(acceptTotp(secret, '050471', now, 37037037), undefined)
    assert.equal(acceptTotp(secret, totpCode(secret, now - 30_000), now, 37037037), undefined)
    assert.equal(acceptTotp(secret, totpCode(secret, now + 30_000), now, 37037037), 37037038)
  })
})

describe('newTotpSecret / totpUri', () => {
  it('makes 160-bit base32 secrets and an otpauth URI with issuer Palisade and the username as label', () => {
    const s = newTotpSecret()
    assert.match(s, /^[A-Z2-7]{32}$/)
    assert.notEqual(s, newTotpSecret())
    const uri = new URL(totpUri(s, 'alice'))
    assert.equal(uri.protocol, 'otpauth:')
    assert.equal(uri.host, 'totp')
    assert.equal(decodeURIComponent(uri.pathname), '/Palisade:alice')
    assert.equal(uri.searchParams.get('issuer'), 'Palisade')
    assert.equal(uri.searchParams.get('secret'), s)
    assert.equal(uri.searchParams.get('algorithm'), 'SHA1')
    assert.equal(uri.searchParams.get('digits'), '6')
    assert.equal(uri.searchParams.get('period'), '30')
  })
})
