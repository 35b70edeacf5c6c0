import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { cosignature, dsse, note, parseRoot, rootFingerprint, verifyAnchorRoot } from '@palisade/protocol'
import { testKey } from '../testing/test-org.test.helper.js'
import { buildRootV1, type RootSpec } from './root-build.js'
import { formatRootDraft, newRootDraft, parseRootDraft, signRootDraft } from './root-draft.js'
import { describeRoot } from './describe-root.js'

const alice = testKey('alice', 'alice')
const bob = testKey('bob', 'bob')
const carol = testKey('carol', 'carol')
const w1 = testKey('w1', 'w1.example')
const logKey = testKey('log', 'palisade/acme')

const spec: RootSpec = {
  org: 'acme',
  admins: [
    { name: 'alice', publicKey: alice.pub },
    { name: 'bob', publicKey: bob.pub },
  ],
  thresholds: { command: 2, policy: 2, root: 2, device: 1 },
  witnesses: { quorum: 1, keys: [cosignature.formatWitnessVerifierKey(w1.name, w1.pub)] },
  log: { origin: 'palisade/acme', key: note.formatVerifierKey(logKey.name, logKey.pub) },
  issuedAt: 1_700_000_000,
  validForSeconds: 365 * 86400,
  maxCommandValiditySeconds: 7 * 86400,
}
const witnesses = [{ key: spec.witnesses.keys[0]!, url: 'https://w1.example' }]
const unlocked = (k: typeof alice) => ({ name: k.name, publicKey: k.pub, seed: k.seed.slice() })

describe('buildRootV1', () => {
  it('builds a root protocol parses, with admin ids = keyId(pub) and the fingerprint of the payload', () => {
    const b = buildRootV1(spec)
    const root = parseRoot(b.payload)
    assert.deepEqual(root, b.root)
    assert.equal(root.version, 1)
    assert.equal(root.expiresAt, spec.issuedAt + 365 * 86400)
    assert.deepEqual(root.admins.map((a) => a.id), [alice.id, bob.id])
    assert.equal(b.fingerprint, rootFingerprint(b.payload))
    assert.equal(root.frozen, false)
  })

  it('refuses contradictions with a sentence each', () => {
    assert.throws(() => buildRootV1({ ...spec, admins: [] }), { code: 'CLI_ARG_INVALID', message: /at least one admin/ })
    assert.throws(() => buildRootV1({ ...spec, thresholds: { ...spec.thresholds, root: 3 } }), { message: /root threshold 3 is more than the 2 admin keys/ })
    assert.throws(() => buildRootV1({ ...spec, admins: [spec.admins[0]!, { name: 'alice2', publicKey: alice.pub }] }), { message: /same public key is given twice/ })
    assert.throws(() => buildRootV1({ ...spec, admins: [spec.admins[0]!, { name: 'alice', publicKey: bob.pub }] }), { message: /admin name "alice" is given twice/ })
    assert.throws(() => buildRootV1({ ...spec, witnesses: { quorum: 2, keys: spec.witnesses.keys } }), { message: /quorum 2 is more than the 1 witnesses/ })
  })
})

describe('root drafts', () => {
  it('round-trip through the file format, collecting signatures until the root threshold is met', async () => {
    const b = buildRootV1(spec)
    const d0 = newRootDraft(b.payload, witnesses)
    assert.deepEqual(d0.signedBy, [])
    const d1 = parseRootDraft(formatRootDraft(await signRootDraft(d0, unlocked(alice))), 'draft.json')
    assert.deepEqual(d1.signedBy, ['alice'])
    assert.throws(() => verifyAnchorRoot(d1.envelope, d1.fingerprint), { code: 'PROTO_ROOT_SIG' })
    const d2 = parseRootDraft(formatRootDraft(await signRootDraft(d1, unlocked(bob))), 'draft.json')
    assert.deepEqual(d2.signedBy, ['alice', 'bob'])
    assert.equal(d2.fingerprint, b.fingerprint)
    assert.equal(verifyAnchorRoot(d2.envelope, b.fingerprint).root.org, 'acme')
    assert.deepEqual(d2.witnesses, witnesses)
  })

  it('refuses a signer who is not an admin, and the same admin twice', async () => {
    const d = newRootDraft(buildRootV1(spec).payload, witnesses)
    await assert.rejects(signRootDraft(d, unlocked(carol)), { code: 'CLI_KEY_NOT_ADMIN' })
    await assert.rejects(signRootDraft(await signRootDraft(d, unlocked(alice)), unlocked(alice)), { code: 'CLI_ROOT_DRAFT_INVALID', message: /already signed by "alice"/ })
  })

  it('refuses a draft file with a forged signature, an altered root, a foreign witness list or unknown fields', async () => {
    const signed = await signRootDraft(newRootDraft(buildRootV1(spec).payload, witnesses), unlocked(alice))
    const doc = JSON.parse(formatRootDraft(signed)) as { envelope: { payload: string; signatures: { keyid: string; sig: string }[] }; witnesses: unknown[] }
    const bad = (mutate: (d: typeof doc) => unknown, re: RegExp): void => {
      const copy = JSON.parse(JSON.stringify(doc)) as typeof doc
      mutate(copy)
      assert.throws(() => parseRootDraft(JSON.stringify(copy), 'd.json'), { code: 'CLI_ROOT_DRAFT_INVALID', message: re })
    }
    // carol's signature over the same root: carol is not an admin
    const carolSig = (await dsse.signEnvelope(signed.envelope.payloadType, signed.envelope.payload, [dsse.ed25519Signer(carol.id, carol.seed)])).signatures[0]!
    bad((d) => d.envelope.signatures.push({ keyid: carol.id, sig: Buffer.from(carolSig.sig).toString('base64') }), /signature 2 .* does not verify under any admin key/)
    bad((d) => (d.envelope.payload = Buffer.from(Buffer.from(d.envelope.payload, 'base64').toString().replace('"frozen":false', '"frozen":true')).toString('base64')), /signature 1 .* does not verify/)
    bad((d) => (d.witnesses = []), /witness list does not match/)
    bad((d) => Object.assign(d, { note: 'hi' }), /unknown field "note"/)
    assert.throws(() => parseRootDraft('not json', 'd.json'), { code: 'CLI_ROOT_DRAFT_INVALID' })
  })

  it('describes every field of the root for review', () => {
    const b = buildRootV1(spec)
    const text = describeRoot(b.root, b.fingerprint, new Map([[spec.witnesses.keys[0]!, 'https://w1.example']]))
    assert.match(text, /org: +acme\n/)
    assert.match(text, /thresholds: +command 2, policy 2, root 2, device 1\n/)
    assert.match(text, new RegExp(`admins: +alice \\(key id ${alice.id}\\)\n +bob \\(key id ${bob.id}\\)\n`))
    assert.match(text, /witnesses: +w1\.example\+[0-9a-f]{8}\+\S+ at https:\/\/w1\.example\n/)
    assert.match(text, new RegExp(`fingerprint: +${b.fingerprint}`))
  })
})
