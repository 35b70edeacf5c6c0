import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { AGENT_ERROR_CODES, AgentError, isAgentError, systemErrorCode, type AnyAgentError } from './errors.js'

describe('AGENT_ERROR_CODES', () => {
  it('prefixes every code with AGENT_ and documents it in one sentence', () => {
    for (const [code, doc] of Object.entries(AGENT_ERROR_CODES)) {
      assert.match(code, /^AGENT_[A-Z_]+$/)
      assert.ok(doc.length > 10, `${code} has a description`)
    }
  })
})

describe('AgentError', () => {
  it('carries code, cause and frozen details', () => {
    const cause = new Error('inner')
    const e = new AgentError('AGENT_FILE_MISSING', 'no file', { cause, details: { path: '/x' } })
    assert.equal(e.code, 'AGENT_FILE_MISSING')
    assert.equal(e.cause, cause)
    assert.equal(e.name, 'AgentError')
    assert.deepEqual(e.details, { path: '/x' })
    assert.ok(Object.isFrozen(e.details))
    assert.ok(e instanceof Error)
  })

  it('omits cause when none is given', () => {
    assert.equal('cause' in new AgentError('AGENT_EXEC_INVALID', 'x'), false)
  })

  it('narrows with isAgentError and a code switch', () => {
    const e: unknown = new AgentError('AGENT_RUNAS_FORBIDDEN', 'no')
    assert.ok(isAgentError(e))
    assert.ok(isAgentError(e, 'AGENT_RUNAS_FORBIDDEN'))
    assert.equal(isAgentError(e, 'AGENT_FILE_MISSING'), false)
    assert.equal(isAgentError(new Error('x')), false)
    const any = e as AnyAgentError
    switch (any.code) {
      case 'AGENT_RUNAS_FORBIDDEN':
        break
      default:
        assert.fail('did not narrow')
    }
  })
})

describe('systemErrorCode', () => {
  it('reads the code of a Node system error and nothing else', () => {
    assert.equal(systemErrorCode(Object.assign(new Error('x'), { code: 'ENOENT' })), 'ENOENT')
    assert.equal(systemErrorCode(new Error('x')), undefined)
    assert.equal(systemErrorCode('ENOENT'), undefined)
    assert.equal(systemErrorCode({ code: 3 }), undefined)
  })
})
