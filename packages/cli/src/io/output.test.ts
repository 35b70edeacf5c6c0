import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { CliError } from '../errors.js'
import { createOutput, formatError, formatFields, formatTable, printable, reportError } from './output.js'

function sink(): { write(s: string): void; text: string } {
  return {
    text: '',
    write(s: string) {
      this.text += s
    },
  }
}

describe('createOutput', () => {
  it('in --json mode prints exactly one JSON document on stdout and no notes', () => {
    const stdout = sink()
    const stderr = sink()
    const out = createOutput({ json: true, stdout, stderr })
    out.note('working…')
    out.result({ a: 1, b: ['x'] }, () => 'human')
    assert.deepEqual(JSON.parse(stdout.text), { a: 1, b: ['x'] })
    assert.equal(stdout.text.trim().split('\n').length, 1)
    assert.equal(stderr.text, '')
  })

  it('refuses to print a second result', () => {
    const out = createOutput({ json: true, stdout: sink(), stderr: sink() })
    out.result({}, () => '')
    assert.throws(() => out.result({}, () => ''))
  })

  it('in human mode prints the text with a final newline, notes on stderr', () => {
    const stdout = sink()
    const stderr = sink()
    const out = createOutput({ json: false, stdout, stderr })
    out.note('note')
    out.result({ a: 1 }, () => 'hello')
    assert.equal(stdout.text, 'hello\n')
    assert.equal(stderr.text, 'note\n')
  })

  it('escapes terminal control sequences in human text', () => {
    const stdout = sink()
    createOutput({ json: false, stdout, stderr: sink() }).result({}, () => 'a\u001b[2Jb\tc')
    assert.equal(stdout.text, 'a\\u001b[2Jb\tc\n')
    assert.equal(printable('\u0007\u009b'), '\\u0007\\u009b')
  })
})

describe('formatFields and formatTable', () => {
  it('align labels and columns', () => {
    assert.equal(formatFields([['name', 'alice'], ['public key', 'AAAA']]), 'name:        alice\npublic key:  AAAA\n')
    assert.equal(
      formatTable(['NAME', 'KEY ID'], [['alice', '0123'], ['b', '4567']]),
      'NAME   KEY ID\nalice  0123\nb      4567\n',
    )
  })
})

describe('formatError', () => {
  const err = new CliError('CLI_SERVER_UNREACHABLE', 'cannot reach the server at http://127.0.0.1:8080: connection refused', {
    server: 'http://127.0.0.1:8080',
  })

  it('in human mode is "palisade: <message>" and "  hint: <hint>"', () => {
    assert.equal(
      formatError(err, false),
      'palisade: cannot reach the server at http://127.0.0.1:8080: connection refused\n' +
        '  hint: is `palisade server` running, and is the --server URL right?\n',
    )
  })

  it('in --json mode is one JSON object with code, message, hint and server', () => {
    assert.deepEqual(JSON.parse(formatError(err, true)), {
      error: { code: 'CLI_SERVER_UNREACHABLE', message: err.message, hint: err.hint, server: 'http://127.0.0.1:8080' },
    })
  })
})

describe('reportError', () => {
  it('returns 2 for usage errors and 1 for other CliErrors', () => {
    assert.equal(reportError(new CliError('CLI_USAGE', 'x'), { json: false, stderr: sink() }), 2)
    assert.equal(reportError(new CliError('CLI_ARG_INVALID', 'x'), { json: false, stderr: sink() }), 2)
    assert.equal(reportError(new CliError('CLI_KEY_PASSPHRASE', 'x'), { json: false, stderr: sink() }), 1)
  })

  it('prints an unexpected error as one line without a stack, exit 1', () => {
    const stderr = sink()
    assert.equal(reportError(new TypeError('boom\nsecond line'), { json: false, stderr }), 1)
    assert.equal(stderr.text.split('\n').length, 2) // one line and the final newline
    assert.match(stderr.text, /^palisade: unexpected error: boom \(set PALISADE_DEBUG=1/)
    assert.doesNotMatch(stderr.text, /at /)
  })

  it('prints the stack of an unexpected error only in debug mode', () => {
    const stderr = sink()
    reportError(new Error('boom'), { json: false, stderr, debug: true })
    assert.match(stderr.text, /\n\s+at /)
  })

  it('in --json mode reports an unexpected error as CLI_INTERNAL', () => {
    const stderr = sink()
    reportError(new Error('boom'), { json: true, stderr })
    assert.equal((JSON.parse(stderr.text) as { error: { code: string } }).error.code, 'CLI_INTERNAL')
  })
})
