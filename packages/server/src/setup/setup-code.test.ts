import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createTestApp, type TestApp } from '../fixtures.test.helper.js'
import { createSetupCode, setupCodeHash, setupCodeUsable } from './setup-code.js'

let shared: TestApp
before(async () => {
  shared = await createTestApp()
})
after(() => shared.dispose())

describe('setup codes', () => {
  it('are 128 random bits in base32, grouped by four', async () => {
    const code = await createSetupCode(shared.db)
    assert.match(code, /^([A-Z2-7]{4}-){6}[A-Z2-7]{2}$/)
    assert.notEqual(code, await createSetupCode(shared.db))
  })

  it('are stored as a SHA-256 only', async () => {
    const code = await createSetupCode(shared.db)
    const rows = await shared.db.selectFrom('setup_codes').selectAll().execute()
    assert.ok(!JSON.stringify(rows).includes(code.replaceAll('-', '')))
    assert.ok(rows.some((r) => r.code_hash === setupCodeHash(code)))
  })

  it('invalidate every earlier unused code when a new one is made', async () => {
    const first = await createSetupCode(shared.db)
    assert.equal(await setupCodeUsable(shared.db, first), true)
    const second = await createSetupCode(shared.db)
    assert.equal(await setupCodeUsable(shared.db, first), false)
    assert.equal(await setupCodeUsable(shared.db, second), true)
  })

  it('read back ignoring case, dashes and spaces, and refuse anything else', async () => {
    const code = await createSetupCode(shared.db)
    assert.equal(await setupCodeUsable(shared.db, ` ${code.toLowerCase().replaceAll('-', ' ')} `), true)
    assert.equal(setupCodeHash('0000-1111'), undefined)
    assert.equal(setupCodeHash(''), undefined)
  })
})
