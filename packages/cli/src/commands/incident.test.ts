// End-to-end with real processes: a real server (SQLite) and witness, an
// org set up through the CLI with a 2-of-3 root threshold, then an incident
// freeze and unfreeze, each drafted by one admin, signed by two on their own
// machines and uploaded; the roots the server serves are read back over
// HTTP and verified from the pinned fingerprint.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { dsse, verifyRootChain } from '@palisade/protocol'
import { ok, palisade, startRealOrg, type RealOrg } from '../testing/real-org.test.helper.js'

describe('incident freeze and unfreeze against a real server and witness', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-incident-'))
  let org: RealOrg
  const file = (name: string): string => join(dir, name)

  /** GET /v1/orgs/acme/roots, verified from the pin as a device would. */
  const roots = async () => {
    const res = await fetch(`${org.url}/v1/orgs/acme/roots`, { headers: { authorization: `Bearer ${org.apiKey}` } })
    assert.equal(res.status, 200)
    const body = (await res.json()) as { roots: string[] }
    return verifyRootChain({ pinned: org.fingerprint }, body.roots, Math.floor(Date.now() / 1000))
  }

  before(async () => {
    org = await startRealOrg(dir, ['alice', 'bob', 'carol'])
  })
  after(async () => {
    await org?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('freeze: drafted by alice, refused with one signature, signed by alice and bob, uploaded: the server serves v2 frozen', async () => {
    const draft = file('freeze.json')
    const made = await ok(['incident', 'freeze', '--out', draft], org.home('alice'))
    assert.match(made, /Wrote the freeze of org "acme" \(root v2, not yet signed\)/)
    // the one change a device acts on
    assert.match(made, /Changes from v1 to v2:\n {4}frozen: no → YES: devices refuse every command\nfingerprint:/)
    assert.match(made, /2 admins \(of alice, bob, carol\) sign it: 2 of v1's keys and 2 of v2's, the same keys here/)
    assert.match(made, /palisade root upload /)
    // a draft never replaces a file
    assert.equal((await palisade(['incident', 'freeze', '--out', draft], org.home('alice'))).code, 1)

    const one = JSON.parse(await ok(['--json', 'root', 'sign', draft, '--key', 'alice', '--yes'], org.home('alice')))
    assert.deepEqual([one.version, one.old.missing, one.new.missing, one.ready], [2, 1, 1, false])

    const early = await palisade(['--json', 'root', 'upload', draft, '--witness-url', org.witnessUrl], org.home('alice'))
    assert.equal(early.code, 1)
    assert.equal(JSON.parse(early.stderr.trim()).error.code, 'CLI_ROOT_UNDERSIGNED')
    assert.equal((await roots()).length, 1)

    // bob reviews on his machine: the chain is checked from his pin, and the change is shown
    const signed = await ok(['root', 'sign', draft, '--key', 'bob', '--yes'], org.home('bob'))
    assert.match(signed, /old key set \(v1 keys\): 2 of 2 signed \(alice, bob\); done/)
    assert.match(signed, /Ready: upload it with `palisade root upload /)

    const up = await ok(['root', 'upload', draft, '--witness-url', org.witnessUrl], org.home('carol'))
    assert.match(up, /Root v2 of org "acme" is in force on http:\/\/127\.0\.0\.1:\d+, verified from the pinned fingerprint/)
    assert.match(up, new RegExp(`v1 {2}${org.fingerprint}\\n {4}v2 {2}[0-9a-f]{64}\\n`))
    assert.match(up, /The org is FROZEN/)

    const chain = await roots()
    assert.equal(chain.length, 2)
    assert.equal(chain[1]!.root.version, 2)
    assert.equal(chain[1]!.root.frozen, true)
    assert.deepEqual(chain[1]!.root.admins, chain[0]!.root.admins)
    // the witness was shown v2 before the server got it: it now knows v2 (and would refuse a checkpoint naming v1)
    const told = await fetch(`${org.witnessUrl}/add-root`, {
      method: 'POST',
      body: JSON.stringify({ origin: chain[0]!.root.log.origin, roots: [dsse.formatEnvelope(chain[0]!.envelope)] }),
    })
    assert.equal(told.status, 200)
    assert.deepEqual(await told.json(), { origin: chain[0]!.root.log.origin, version: 2, fingerprint: chain[1]!.fingerprint, updated: false })
    assert.match(await ok(['root', 'show'], org.home('bob')), /frozen: +YES/)
  })

  it('uploading the same draft again is safe: the server only publishes again', async () => {
    const again = await palisade(['--json', 'root', 'upload', file('freeze.json'), '--witness-url', org.witnessUrl], org.home('alice'))
    assert.equal(again.code, 0, again.stderr)
    assert.equal(JSON.parse(again.stdout).version, 2)
    assert.equal((await roots()).length, 2)
  })

  it('unfreeze: v3 signed by two admins, uploaded: the server serves v3 not frozen', async () => {
    const draft = file('unfreeze.json')
    await ok(['incident', 'unfreeze', '--out', draft], org.home('bob'))
    // freezing a frozen org is refused before anything is written
    const twice = await palisade(['--json', 'incident', 'freeze', '--out', file('freeze-again.json')], org.home('alice'))
    assert.equal(JSON.parse(twice.stderr.trim()).error.code, 'CLI_ARG_INVALID')
    assert.equal(existsSync(file('freeze-again.json')), false)

    await ok(['root', 'sign', draft, '--key', 'carol', '--yes'], org.home('carol'))
    await ok(['root', 'sign', draft, '--key', 'bob', '--yes'], org.home('bob'))
    // a witness that cannot be shown v3: nothing goes to the server
    const unheard = await palisade(['--json', 'root', 'upload', draft, '--witness-url', 'http://127.0.0.1:1'], org.home('alice'))
    assert.equal(unheard.code, 1)
    assert.equal(JSON.parse(unheard.stderr.trim().split('\n').pop()!).error.code, 'CLI_WITNESS_REFUSED')
    assert.equal((await roots()).length, 2)
    const up = JSON.parse(await ok(['--json', 'root', 'upload', draft, '--witness-url', org.witnessUrl], org.home('alice')))
    assert.equal(up.version, 3)
    assert.equal(up.frozen, false)
    assert.deepEqual(up.chain.map((r: { version: number }) => r.version), [1, 2, 3])

    const chain = await roots()
    assert.deepEqual(chain.map((r) => [r.root.version, r.root.frozen]), [[1, false], [2, true], [3, false]])
    // the stale freeze draft (v2) cannot follow v3
    const stale = await palisade(['--json', 'root', 'upload', file('freeze.json'), '--witness-url', org.witnessUrl], org.home('alice'))
    assert.equal(stale.code, 1)
    assert.match(JSON.parse(stale.stderr.trim()).error.message, /holds root v2, but the root in force is v3: only v4 can follow it/)
  })
})
