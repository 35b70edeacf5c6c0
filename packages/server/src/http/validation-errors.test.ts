import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { MAX_PATH_LENGTH, validationFieldErrors } from './validation-errors.js'

describe('validationFieldErrors', () => {
  it('names an unknown property as a child of the object that refused it', () => {
    const out = validationFieldErrors('body', [
      { instancePath: '/target', keyword: 'additionalProperties', params: { additionalProperty: 'extra' } },
    ])
    assert.deepEqual(out, [{ path: '/body/target/extra', message: 'unknown field' }])
  })

  it('names a missing property', () => {
    const out = validationFieldErrors('querystring', [{ instancePath: '', keyword: 'required', params: { missingProperty: 'limit' } }])
    assert.deepEqual(out, [{ path: '/querystring/limit', message: 'is required' }])
  })

  it('keeps Ajv messages for other keywords', () => {
    const out = validationFieldErrors('params', [{ instancePath: '/id', keyword: 'pattern', message: 'must match pattern "^[a-z]+$"' }])
    assert.deepEqual(out, [{ path: '/params/id', message: 'must match pattern "^[a-z]+$"' }])
  })

  it('escapes "~" and "/" in property names as RFC 6901 asks', () => {
    const out = validationFieldErrors('body', [{ instancePath: '', keyword: 'additionalProperties', params: { additionalProperty: 'a/b~c' } }])
    assert.equal(out[0]?.path, '/body/a~1b~0c')
  })

  it('cuts attacker-sized property names', () => {
    const out = validationFieldErrors('body', [{ instancePath: '', keyword: 'additionalProperties', params: { additionalProperty: 'x'.repeat(10_000) } }])
    assert.equal(out[0]?.path.length, MAX_PATH_LENGTH + 1)
    assert.ok(out[0]?.path.endsWith('…'))
  })
})
