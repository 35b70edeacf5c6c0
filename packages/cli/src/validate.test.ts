import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { isCliError } from './errors.js'
import { parseDirectory, parseName, parseServerUrl, quote } from './validate.js'

function throwsInvalid(f: () => unknown, message?: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(isCliError(e, 'CLI_ARG_INVALID'), String(e))
    if (message !== undefined) assert.match(e.message, message)
    return true
  })
}

describe('parseName', () => {
  it('accepts 1 to 64 of A-Z a-z 0-9 . _ @ -', () => {
    for (const n of ['a', 'alice', 'Ops_Laptop-2', 'alice@example.com', 'x'.repeat(64), '...']) assert.equal(parseName(n), n)
  })

  it('refuses anything else with a message saying what is allowed', () => {
    for (const n of ['', 'x'.repeat(65), 'a b', 'a/b', '../x', 'é', 'a\nb', 'a\u001b[31m']) {
      throwsInvalid(() => parseName(n), /a name is 1 to 64 characters/)
    }
  })

  it('shows control characters escaped, never raw', () => {
    throwsInvalid(() => parseName('a\u001b[2Jb'), /"a\\u001b\[2Jb"/)
  })
})

describe('parseServerUrl', () => {
  it('accepts http(s) and drops the trailing slash', () => {
    assert.equal(parseServerUrl('http://127.0.0.1:8080'), 'http://127.0.0.1:8080')
    assert.equal(parseServerUrl('https://palisade.example.com/'), 'https://palisade.example.com')
    assert.equal(parseServerUrl('https://example.com/palisade/'), 'https://example.com/palisade')
  })

  it('refuses other schemes, credentials, queries and non-URLs', () => {
    throwsInvalid(() => parseServerUrl('ftp://example.com'), /only http/)
    throwsInvalid(() => parseServerUrl('file:///etc/passwd'), /only http/)
    throwsInvalid(() => parseServerUrl('javascript:alert(1)'), /only http/)
    throwsInvalid(() => parseServerUrl('https://user:pw@example.com'), /credentials/)
    throwsInvalid(() => parseServerUrl('https://example.com/?a=1'), /query/)
    throwsInvalid(() => parseServerUrl('example.com'), /not a URL/)
    throwsInvalid(() => parseServerUrl(''), /not a URL/)
  })

  it('never echoes a password from the URL', () => {
    assert.throws(() => parseServerUrl('https://admin:hunter2secret@example.com'), (e: Error) => {
      assert.ok(!e.message.includes('hunter2secret'), e.message)
      assert.match(e.message, /"https:\/\/\*\*\*@example\.com\/"/)
      return true
    })
  })

  it('cuts long input in messages', () => {
    assert.equal(quote('x'.repeat(100)), JSON.stringify('x'.repeat(80) + '…'))
  })
})

describe('parseDirectory', () => {
  it('refuses empty paths and NUL', () => {
    assert.equal(parseDirectory('/tmp/x'), '/tmp/x')
    throwsInvalid(() => parseDirectory(''))
    throwsInvalid(() => parseDirectory('a\0b'))
  })
})
