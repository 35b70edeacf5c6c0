// buildRoot: the one builder of root payloads (CLI org init / rotations,
// console first-run setup). Its output is the bytes admins sign: pinned
// against the fixture's hand-written root, and every contradiction refused.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { buildRoot, canonicalJsonBytes, ProtocolError, rootFingerprint, type RootSpec } from '../../dist/node.js'
import { TestOrg } from '../fixtures/org.js'

const org = new TestOrg()
const spec = (): RootSpec => ({
  org: org.org,
  version: 1,
  // out of order on purpose: the builder sorts by name
  admins: [...org.admins].reverse().map((a) => ({ name: a.name, publicKey: a.pub })),
  thresholds: { command: 2, policy: 2, root: 2, device: 1 },
  witnesses: { quorum: org.rootObject.witnesses.quorum, keys: org.rootObject.witnesses.keys },
  log: { ...org.rootObject.log },
  issuedAt: org.rootObject.issuedAt,
  validForSeconds: org.rootObject.expiresAt - org.rootObject.issuedAt,
  maxCommandValiditySeconds: org.rootObject.maxCommandValiditySeconds,
  frozen: false,
})

function refusal(s: RootSpec): string {
  try {
    buildRoot(s)
  } catch (e) {
    assert.ok(e instanceof ProtocolError, `expected ProtocolError, got ${String(e)}`)
    assert.equal(e.code, 'PROTO_MALFORMED')
    return e.message
  }
  return 'built'
}

describe('buildRoot', () => {
  describe('when the spec is consistent', () => {
    it('gives the canonical bytes of the same root written by hand, admins sorted by name, and their fingerprint', () => {
      const built = buildRoot(spec())
      assert.deepEqual(built.payload, canonicalJsonBytes(org.rootObject))
      assert.equal(built.fingerprint, rootFingerprint(built.payload))
      assert.deepEqual(built.root.admins.map((a) => a.name), ['admin0', 'admin1', 'admin2'])
    })
    it('leaves out empty monitors and a null max age, and writes them when set', () => {
      assert.ok(!new TextDecoder().decode(buildRoot({ ...spec(), monitors: [], checkpointMaxAgeSeconds: null }).payload).includes('monitors'))
      const r = buildRoot({ ...spec(), monitors: ['https://monitor.example.com'], checkpointMaxAgeSeconds: 3600 }).root
      assert.deepEqual(r.monitors, ['https://monitor.example.com'])
      assert.equal(r.checkpointMaxAgeSeconds, 3600)
    })
  })
  describe('when the choices contradict each other', () => {
    it('refuses each with PROTO_MALFORMED and a sentence naming it', () => {
      const a = org.admins[0]!
      assert.match(refusal({ ...spec(), admins: [] }), /at least one admin/)
      assert.match(refusal({ ...spec(), thresholds: { ...spec().thresholds, root: 4 } }), /root threshold 4 is more than the 3 admin keys/)
      assert.match(refusal({ ...spec(), admins: [{ name: 'x', publicKey: a.pub }, { name: 'y', publicKey: a.pub }] }), /same public key is given twice/)
      assert.match(refusal({ ...spec(), admins: [{ name: 'x', publicKey: a.pub }, { name: 'x', publicKey: org.admins[1]!.pub }] }), /admin name "x" is given twice/)
      const w = org.rootObject.witnesses.keys[0]
      assert.match(refusal({ ...spec(), witnesses: { quorum: 1, keys: [w, w] } }), /a witness is given twice/)
      assert.match(refusal({ ...spec(), witnesses: { quorum: 3, keys: org.rootObject.witnesses.keys } }), /quorum 3 is more than the 2 witnesses/)
      assert.match(refusal({ ...spec(), monitors: ['https://m.example', 'https://m.example'] }), /monitor URL is given twice/)
    })
    it('refuses what the root parser refuses (a bad org id, a max age out of range)', () => {
      assert.throws(() => buildRoot({ ...spec(), org: 'Not An Org' }), ProtocolError)
      assert.throws(() => buildRoot({ ...spec(), checkpointMaxAgeSeconds: 5 }), ProtocolError)
    })
  })
})
