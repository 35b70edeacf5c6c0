import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { Principal, Scope } from '../auth/access.js'
import { ungrantableScope } from './scope-grant.js'

const admin = (role: 'owner' | 'admin' | 'helpdesk' | 'read-only' | null): Principal => ({
  kind: 'admin', adminId: 'a', username: 'a', sessionId: 's', mfa: true, orgId: 'acme', role,
})
const key = (scopes: readonly Scope[]): Principal => ({
  kind: 'api-key', apiKeyId: 'k', name: 'k', orgId: 'acme', scopes,
})

describe('ungrantableScope', () => {
  it('lets an owner grant every scope', () => {
    assert.equal(ungrantableScope(admin('owner'), ['read', 'devices', 'commands', 'directory', 'admin']), undefined)
  })

  it('refuses scopes beyond the creator role, naming the first', () => {
    assert.equal(ungrantableScope(admin('admin'), ['read', 'devices', 'commands', 'directory']), undefined)
    assert.equal(ungrantableScope(admin('admin'), ['read', 'admin']), 'admin')
    assert.equal(ungrantableScope(admin('helpdesk'), ['read', 'commands']), 'commands')
    assert.equal(ungrantableScope(admin('read-only'), ['devices']), 'devices')
    assert.equal(ungrantableScope(admin(null), ['read']), 'read')
  })

  it('lets a key grant only what its own scopes cover', () => {
    assert.equal(ungrantableScope(key(['admin']), ['read', 'admin']), undefined)
    assert.equal(ungrantableScope(key(['devices']), ['read']), undefined)
    assert.equal(ungrantableScope(key(['devices']), ['read', 'directory']), 'directory')
    assert.equal(ungrantableScope(key(['devices', 'commands', 'directory']), ['admin']), 'admin')
  })

  it('lets anonymous and device principals grant nothing', () => {
    assert.equal(ungrantableScope({ kind: 'anonymous' }, ['read']), 'read')
    assert.equal(ungrantableScope({ kind: 'device', deviceId: 'd', orgId: 'acme' }, ['read']), 'read')
  })
})
