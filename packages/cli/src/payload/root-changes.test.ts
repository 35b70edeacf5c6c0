import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { cosignature, note, parseRoot, rootFingerprint, type Root } from '@palisade/protocol'
import { parseThresholdChangesOption } from '../args/rotation-options.js'
import { testKey } from '../testing/test-org.test.helper.js'
import { describeRootChanges, formatRootChanges } from './describe-root-change.js'
import { buildRootV1 } from './root-build.js'
import { buildNextRoot } from './root-changes.js'

const alice = testKey('rc/alice', 'alice')
const bob = testKey('rc/bob', 'bob')
const carol = testKey('rc/carol', 'carol')
const dave = testKey('rc/dave', 'dave')
const w1 = testKey('rc/w1', 'w1.example')
const w2 = testKey('rc/w2', 'w2.example')
const logKey = testKey('rc/log', 'palisade/acme')
const vkey = (k: typeof w1): string => cosignature.formatWitnessVerifierKey(k.name, k.pub)

const ISSUED = 1_700_000_000
const NOW = ISSUED + 86400
const v1: Root = buildRootV1({
  org: 'acme',
  admins: [
    { name: 'alice', publicKey: alice.pub },
    { name: 'bob', publicKey: bob.pub },
    { name: 'carol', publicKey: carol.pub },
  ],
  thresholds: { command: 2, policy: 2, root: 2, device: 1 },
  witnesses: { quorum: 1, keys: [vkey(w1)] },
  log: { origin: 'palisade/acme', key: note.formatVerifierKey(logKey.name, logKey.pub) },
  issuedAt: ISSUED,
  validForSeconds: 365 * 86400,
  maxCommandValiditySeconds: 7 * 86400,
}).root

describe('buildNextRoot', () => {
  it('with no change builds v2 = v1 but for version and issue time (the expiry is kept)', () => {
    const b = buildNextRoot(v1, {}, NOW)
    assert.deepEqual(parseRoot(b.payload), b.root)
    assert.equal(b.fingerprint, rootFingerprint(b.payload))
    assert.deepEqual({ ...b.root, version: 1, issuedAt: ISSUED }, v1)
    assert.equal(b.root.version, 2)
    assert.equal(b.root.issuedAt, NOW)
    assert.equal(b.root.expiresAt, v1.expiresAt)
    assert.deepEqual(describeRootChanges(v1, b.root), [])
  })

  it('refuses to keep an expiry that has passed, and renews with --expires', () => {
    const late = v1.expiresAt + 60
    assert.throws(() => buildNextRoot(v1, { frozen: true }, late), { code: 'CLI_ARG_INVALID', message: /v1 expired at .* kept unless one is given/ })
    assert.equal(buildNextRoot(v1, { validForSeconds: 86400 }, late).root.expiresAt, late + 86400)
  })

  it('--freeze sets frozen and nothing else; --unfreeze of a frozen root clears it', () => {
    const v2 = buildNextRoot(v1, { frozen: true }, NOW).root
    assert.equal(v2.frozen, true)
    assert.deepEqual(v2.admins, v1.admins)
    assert.deepEqual(v2.thresholds, v1.thresholds)
    assert.deepEqual(v2.witnesses, v1.witnesses)
    assert.deepEqual(v2.log, v1.log)
    assert.equal(describeRootChanges(v1, v2)[0], 'frozen: no → YES: devices refuse every command')
    const v3 = buildNextRoot(v2, { frozen: false }, NOW + 60).root
    assert.equal(v3.version, 3)
    assert.equal(v3.frozen, false)
    assert.equal(describeRootChanges(v2, v3)[0], 'frozen: YES → no: devices accept commands again')
  })

  it('refuses to freeze a frozen root and to unfreeze one that is not', () => {
    const v2 = buildNextRoot(v1, { frozen: true }, NOW).root
    assert.throws(() => buildNextRoot(v2, { frozen: true }, NOW), { code: 'CLI_ARG_INVALID', message: /v2 is frozen already/ })
    assert.throws(() => buildNextRoot(v1, { frozen: false }, NOW), { code: 'CLI_ARG_INVALID', message: /v1 is not frozen/ })
  })

  it('--add-admin adds an admin (sorted by name, key id derived); --remove-admin removes one', () => {
    const r = buildNextRoot(v1, { addAdmins: [{ name: 'dave', publicKey: dave.pub }], removeAdmins: ['bob'] }, NOW).root
    assert.deepEqual(r.admins.map((a) => a.name), ['alice', 'carol', 'dave'])
    assert.equal(r.admins[2]!.id, dave.id)
    const lines = describeRootChanges(v1, r)
    assert.ok(lines.includes(`admin added: dave (key id ${dave.id})`))
    assert.ok(lines.includes(`admin removed: bob (key id ${bob.id})`))
  })

  it('removing and adding the same name gives that admin a new key', () => {
    const r = buildNextRoot(v1, { removeAdmins: ['alice'], addAdmins: [{ name: 'alice', publicKey: dave.pub }] }, NOW).root
    assert.equal(r.admins.find((a) => a.name === 'alice')!.id, dave.id)
    assert.deepEqual(describeRootChanges(v1, r).slice(0, 2), [`admin added: alice (key id ${dave.id})`, `admin removed: alice (key id ${alice.id})`])
  })

  it('refuses an unknown admin, a name or a key already there, and no admin left', () => {
    assert.throws(() => buildNextRoot(v1, { removeAdmins: ['mallory'] }, NOW), { code: 'CLI_ARG_INVALID', message: /no admin "mallory" to remove/ })
    assert.throws(() => buildNextRoot(v1, { addAdmins: [{ name: 'bob', publicKey: dave.pub }] }, NOW), { message: /named "bob" is already/ })
    assert.throws(() => buildNextRoot(v1, { addAdmins: [{ name: 'bobby', publicKey: bob.pub }] }, NOW), { message: /already the key of admin "bob"/ })
    assert.throws(() => buildNextRoot(v1, { removeAdmins: ['alice', 'bob', 'carol'] }, NOW), { message: /no admin left/ })
  })

  it('--threshold changes only the kinds given, and refuses one above the admin count', () => {
    const r = buildNextRoot(v1, { thresholds: parseThresholdChangesOption('root=3,device=2') }, NOW).root
    assert.deepEqual(r.thresholds, { command: 2, policy: 2, root: 3, device: 2 })
    assert.deepEqual(describeRootChanges(v1, r).slice(0, 2), ['root threshold: 2 → 3', 'device threshold: 1 → 2'])
    assert.throws(() => buildNextRoot(v1, { removeAdmins: ['bob', 'carol'] }, NOW), { code: 'CLI_ARG_INVALID', message: /command threshold 2 is more than the 1 admin key/ })
    assert.throws(() => buildNextRoot(v1, { thresholds: { root: 4 } }, NOW), { message: /root threshold 4 is more than the 3 admin keys/ })
  })

  it('--add-witness and --remove-witness (by name or key) change the witnesses; --quorum the quorum', () => {
    const added = buildNextRoot(v1, { addWitnesses: [{ key: vkey(w2), url: 'https://w2.example' }], quorum: 2 }, NOW).root
    assert.deepEqual(added.witnesses, { quorum: 2, keys: [vkey(w1), vkey(w2)] })
    assert.ok(describeRootChanges(v1, added).includes(`witness added: w2.example (${vkey(w2)})`))
    assert.ok(describeRootChanges(v1, added).includes('witness quorum: 1 of 1 → 2 of 2'))
    const byName = buildNextRoot(added, { removeWitnesses: ['w1.example'], quorum: 1 }, NOW).root
    assert.deepEqual(byName.witnesses, { quorum: 1, keys: [vkey(w2)] })
    assert.deepEqual(buildNextRoot(added, { removeWitnesses: [vkey(w2)], quorum: 1 }, NOW).root.witnesses.keys, [vkey(w1)])
  })

  it('refuses an unknown or repeated witness, and a kept quorum above the witnesses left', () => {
    assert.throws(() => buildNextRoot(v1, { removeWitnesses: ['nope'] }, NOW), { code: 'CLI_ARG_INVALID', message: /no witness "nope"/ })
    assert.throws(() => buildNextRoot(v1, { addWitnesses: [{ key: vkey(w1), url: 'https://w1.example' }] }, NOW), { message: /already in the root/ })
    assert.throws(() => buildNextRoot(v1, { removeWitnesses: ['w1.example'] }, NOW), { message: /quorum 1 is more than the 0 witnesses left/ })
    assert.equal(buildNextRoot(v1, { removeWitnesses: ['w1.example'], quorum: 0 }, NOW).root.witnesses.keys.length, 0)
  })

  it('--expires and --max-command-validity set the window and the command limit', () => {
    const r = buildNextRoot(v1, { validForSeconds: 30 * 86400, maxCommandValiditySeconds: 86400 }, NOW).root
    assert.equal(r.expiresAt, NOW + 30 * 86400)
    assert.equal(r.maxCommandValiditySeconds, 86400)
    assert.ok(describeRootChanges(v1, r).includes('max command validity: 7d → 1d'))
  })

  it('keeps the org and the log, and builds from any version', () => {
    const v2 = buildNextRoot(v1, { frozen: true }, NOW).root
    const v3 = buildNextRoot(v2, { frozen: false, thresholds: { command: 3 } }, NOW).root
    assert.equal(v3.version, 3)
    assert.equal(v3.org, 'acme')
    assert.deepEqual(v3.log, v1.log)
  })

  it('formats the changes under a heading, or says there are none', () => {
    assert.equal(formatRootChanges(v1, buildNextRoot(v1, { frozen: true }, NOW).root), 'Changes from v1 to v2:\n    frozen: no → YES: devices refuse every command\n')
    assert.equal(formatRootChanges(v1, buildNextRoot(v1, {}, NOW).root), 'Changes from v1 to v2:\n    none but the version and issue time\n')
  })
})

describe('parseThresholdChangesOption', () => {
  it('takes some kinds, or one number for all', () => {
    assert.deepEqual(parseThresholdChangesOption('root=3'), { root: 3 })
    assert.deepEqual(parseThresholdChangesOption('2'), { command: 2, policy: 2, root: 2, device: 2 })
  })
  it('refuses unknown kinds, repeats, zero and junk', () => {
    for (const bad of ['roots=2', 'root=2,root=3', 'root=0', 'root', 'root=2=3', '']) {
      assert.throws(() => parseThresholdChangesOption(bad), { code: 'CLI_ARG_INVALID' }, bad)
    }
  })
})

describe('buildNextRoot: monitors and checkpoint max age', () => {
  const withBoth = buildNextRoot(v1, { monitors: ['https://m1.example.com', 'http://127.0.0.1:8088'], checkpointMaxAgeSeconds: 86400 }, NOW)
  it('sets them, and the payload parses back to them', () => {
    assert.deepEqual(withBoth.root.monitors, ['https://m1.example.com', 'http://127.0.0.1:8088'])
    assert.equal(withBoth.root.checkpointMaxAgeSeconds, 86400)
    assert.deepEqual(parseRoot(withBoth.payload), withBoth.root)
  })
  it('keeps them through a rotation that does not name them', () => {
    const v3 = buildNextRoot(withBoth.root, { frozen: true }, NOW + 10)
    assert.deepEqual(v3.root.monitors, withBoth.root.monitors)
    assert.equal(v3.root.checkpointMaxAgeSeconds, 86400)
  })
  it('replaces the monitor list, removes it with [], and describes both changes', () => {
    const v3 = buildNextRoot(withBoth.root, { monitors: ['https://m2.example.com'], checkpointMaxAgeSeconds: 3600 }, NOW + 10)
    assert.deepEqual(v3.root.monitors, ['https://m2.example.com'])
    const lines = describeRootChanges(withBoth.root, v3.root)
    assert.ok(lines.includes('monitor added: https://m2.example.com'), lines.join('\n'))
    assert.ok(lines.includes('monitor removed: https://m1.example.com'), lines.join('\n'))
    assert.ok(lines.some((l) => l.startsWith('checkpoint max age: ')), lines.join('\n'))
    assert.deepEqual(buildNextRoot(withBoth.root, { monitors: [] }, NOW + 10).root.monitors, [])
  })
  it('leaves both out of the payload when unset, so older roots keep their bytes', () => {
    const text = new TextDecoder().decode(buildNextRoot(v1, {}, NOW).payload)
    assert.ok(!text.includes('monitors') && !text.includes('checkpointMaxAgeSeconds'))
  })
  it('refuses a monitor given twice (CLI_ARG_INVALID)', () => {
    assert.throws(() => buildNextRoot(v1, { monitors: ['https://m.example.com', 'https://m.example.com'] }, NOW), { code: 'CLI_ARG_INVALID' })
  })
})
