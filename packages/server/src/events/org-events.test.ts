import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { MAX_SUBSCRIBERS, MAX_SUBSCRIBERS_PER_ORG, MAX_SUBSCRIBERS_PER_PRINCIPAL, OrgEvents, type OrgEvent } from './org-events.js'

function sub(hub: OrgEvents, org: string, principal: string, listener: (e: OrgEvent) => void = () => {}): () => void {
  const s = hub.subscribe(org, listener, principal)
  assert.equal(typeof s, 'function', `refused: ${String(s)}`)
  return s as () => void
}

describe('OrgEvents', () => {
  it('delivers an org\'s events to its subscribers only, until they unsubscribe', () => {
    const hub = new OrgEvents()
    const acme: OrgEvent[] = []
    const beta: OrgEvent[] = []
    const stopAcme = sub(hub, 'acme', 'a', (e) => acme.push(e))
    sub(hub, 'beta', 'b', (e) => beta.push(e))
    hub.emit('acme', { kind: 'device', id: 'dev-1' })
    hub.emit('beta', { kind: 'command', id: 'cmd-1' })
    assert.deepEqual(acme, [{ kind: 'device', id: 'dev-1' }])
    assert.deepEqual(beta, [{ kind: 'command', id: 'cmd-1' }])
    stopAcme()
    stopAcme() // idempotent
    hub.emit('acme', { kind: 'alert' })
    assert.equal(acme.length, 1)
    assert.equal(hub.size, 1)
  })

  it('keeps delivering when one listener throws', () => {
    const hub = new OrgEvents()
    const got: OrgEvent[] = []
    sub(hub, 'acme', 'a', () => {
      throw new Error('broken stream')
    })
    sub(hub, 'acme', 'b', (e) => got.push(e))
    hub.emit('acme', { kind: 'log' })
    assert.deepEqual(got, [{ kind: 'log' }])
  })

  it('refuses a principal beyond its cap, and frees the slot on unsubscribe (one key cannot fill the server)', () => {
    const hub = new OrgEvents()
    const stops = Array.from({ length: MAX_SUBSCRIBERS_PER_PRINCIPAL }, () => sub(hub, 'acme', 'key:k1'))
    assert.equal(hub.subscribe('acme', () => {}, 'key:k1'), 'principal')
    sub(hub, 'acme', 'key:k2') // another credential of the same org still gets in
    stops[0]!()
    sub(hub, 'acme', 'key:k1')
  })

  it('refuses an org beyond its cap, while other orgs still subscribe', () => {
    const hub = new OrgEvents()
    for (let i = 0; i < MAX_SUBSCRIBERS_PER_ORG; i++) sub(hub, 'acme', `p${i}`)
    assert.equal(hub.subscribe('acme', () => {}, 'fresh'), 'org')
    sub(hub, 'beta', 'fresh')
  })

  it('refuses subscribers beyond MAX_SUBSCRIBERS over all orgs', () => {
    const hub = new OrgEvents()
    const stops: (() => void)[] = []
    for (let i = 0; i < MAX_SUBSCRIBERS; i++) stops.push(sub(hub, `org-${i % 50}`, `p${i}`))
    assert.equal(hub.subscribe('acme', () => {}, 'x'), 'server')
    stops[0]!()
    sub(hub, 'acme', 'x')
  })
})
