import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CLI_ERROR_CODES, CliError, ioError, isCliError, serverUnreachable, type CliErrorCode } from './errors.js'

describe('CLI error codes', () => {
  it('are all CLI_-prefixed and documented with a summary, a hint and an exit status', () => {
    for (const [code, doc] of Object.entries(CLI_ERROR_CODES)) {
      assert.match(code, /^CLI_[A-Z_]+$/)
      assert.ok(doc.summary.length > 10, code)
      assert.ok(doc.hint.length > 5, code)
      assert.ok(doc.exit === 1 || doc.exit === 2 || (doc.exit === 3 && code === 'CLI_MONITOR_ANOMALIES'), code)
    }
  })

  it('exit with 2 only for usage errors', () => {
    const usage = Object.entries(CLI_ERROR_CODES).filter(([, d]) => d.exit === 2).map(([c]) => c)
    assert.deepEqual(usage.sort(), ['CLI_ARG_INVALID', 'CLI_USAGE'])
  })

  it('used in the sources are all in the table (no undocumented code)', () => {
    // the compiled sources sit beside this file; scan them for CLI_ codes
    const root = fileURLToPath(new URL('.', import.meta.url))
    const used = new Set<string>()
    const walk = (dir: string): void => {
      for (const f of readdirSync(dir)) {
        const p = join(dir, f)
        if (statSync(p).isDirectory()) walk(p)
        else if (f.endsWith('.js') && !f.endsWith('.test.js')) {
          for (const m of readFileSync(p, 'utf8').matchAll(/'(CLI_[A-Z_]+)'/g)) used.add(m[1]!)
        }
      }
    }
    walk(root)
    assert.ok(used.size > 5)
    for (const code of used) assert.ok(code in CLI_ERROR_CODES, `${code} is used but not documented`)
  })
})

describe('CliError', () => {
  it('carries code, message, the default hint and the exit status', () => {
    const e = new CliError('CLI_KEY_NOT_FOUND', 'no key named "x"')
    assert.equal(e.name, 'CliError')
    assert.equal(e.code, 'CLI_KEY_NOT_FOUND')
    assert.equal(e.hint, CLI_ERROR_CODES.CLI_KEY_NOT_FOUND.hint)
    assert.equal(e.exitCode, 1)
    assert.equal(e.server, undefined)
    assert.equal(new CliError('CLI_USAGE', 'x').exitCode, 2)
  })

  it('takes an explicit hint, server, cause and frozen details', () => {
    const cause = new Error('inner')
    const e = new CliError('CLI_IO', 'm', { hint: 'h', server: 'http://s', cause, details: { path: '/p' } })
    assert.equal(e.hint, 'h')
    assert.equal(e.server, 'http://s')
    assert.equal(e.cause, cause)
    assert.ok(Object.isFrozen(e.details))
  })

  it('narrows by code with isCliError', () => {
    const e: unknown = new CliError('CLI_KEY_EXISTS', 'x')
    assert.ok(isCliError(e))
    assert.ok(isCliError(e, 'CLI_KEY_EXISTS'))
    assert.ok(!isCliError(e, 'CLI_IO'))
    assert.ok(!isCliError(new Error('x')))
    const code: CliErrorCode = (e as CliError).code
    assert.equal(code, 'CLI_KEY_EXISTS')
  })
})

describe('serverUnreachable', () => {
  it('when the connection is refused, names the server and the reason', () => {
    const sys = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8080'), { code: 'ECONNREFUSED' })
    const e = serverUnreachable('http://127.0.0.1:8080', sys)
    assert.equal(e.code, 'CLI_SERVER_UNREACHABLE')
    assert.equal(e.message, 'cannot reach the server at http://127.0.0.1:8080: connection refused')
    assert.match(e.hint, /`palisade server` running/)
    assert.equal(e.server, 'http://127.0.0.1:8080')
    assert.deepEqual({ ...e.details }, { reason: 'ECONNREFUSED' })
  })

  it("when fetch fails, finds the system code in fetch's cause", () => {
    const fetchError = new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo'), { code: 'ENOTFOUND' }) })
    assert.match(serverUnreachable('https://nope.example', fetchError).message, /unknown host$/)
  })

  it('when the reason is unknown, says the connection failed', () => {
    assert.match(serverUnreachable('https://x', new Error('?')).message, /the connection failed$/)
  })
})

describe('ioError', () => {
  it('names the path and the system code', () => {
    const e = ioError('read', '/etc/x', Object.assign(new Error('nope'), { code: 'EACCES' }))
    assert.equal(e.code, 'CLI_IO')
    assert.equal(e.message, 'cannot read /etc/x (EACCES)')
  })
})
