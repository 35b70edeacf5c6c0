import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { commonPasswords } from './common-passwords.js'
import { checkPassword, normalisePassword } from './password-policy.js'

describe('checkPassword', () => {
  it('accepts a long, uncommon password unrelated to the account', () => {
    assert.equal(checkPassword('plum tractor sandwich 42', { username: 'alice', email: 'alice@example.com' }), undefined)
  })

  it('counts code points, not UTF-16 units: 12 emoji pass, 11 fail', () => {
    assert.equal(checkPassword('🙂🙃😀😁😂🤣😃😄😅😆😉😊', {}), undefined)
    assert.equal(checkPassword('🙂🙃😀😁😂🤣😃😄😅😆😉', {})?.rule, 'length')
  })

  it('refuses passwords outside 12..256 characters, naming the rule', () => {
    assert.equal(checkPassword('elevenchars', {})?.rule, 'length')
    assert.equal(checkPassword('x'.repeat(128) + 'y'.repeat(129), {})?.rule, 'length')
    assert.equal(checkPassword('x'.repeat(128) + 'y'.repeat(128), {}), undefined)
  })

  it('refuses one character repeated', () => {
    assert.equal(checkPassword('aaaaaaaaaaaaaaaa', {})?.rule, 'repeated')
  })

  it('refuses an entry of the bundled breached-password list, ignoring case', () => {
    const entry = [...commonPasswords()].find((p) => /^[a-z0-9]{12,20}$/.test(p) && new Set(p).size > 1)
    assert.ok(entry !== undefined)
    assert.ok(commonPasswords().size > 40_000)
    assert.equal(checkPassword(entry, {})?.rule, 'common')
    assert.equal(checkPassword(entry.toUpperCase(), {})?.rule, 'common')
  })

  it('refuses passwords containing the username or the email local part, ignoring case', () => {
    assert.equal(checkPassword('my-ALICE-password-1', { username: 'Alice' })?.rule, 'contains-username')
    assert.equal(checkPassword('xx-bobsmith-yy-zz', { username: 'b', email: 'BobSmith@example.com' })?.rule, 'contains-email')
  })

  it('checks the NFC form, so composed and decomposed spellings are one password', () => {
    assert.equal(normalisePassword('caf\u0065\u0301 au lait!!'), 'caf\u00e9 au lait!!')
    assert.equal(checkPassword('\u00e9'.repeat(12), {})?.rule, 'repeated')
    assert.equal(checkPassword('e\u0301'.repeat(12), {})?.rule, 'repeated')
  })

  it('never puts the password in its message', () => {
    const r = checkPassword('my-secret-alice-pw', { username: 'alice' })
    assert.ok(r !== undefined && !r.message.includes('my-secret'))
  })
})
