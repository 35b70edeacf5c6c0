import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ROOT_PAYLOAD_TYPE, cosignature, dsse, note, verifyAnchorRoot, verifyRootUpdate, type SignedRoot } from '@palisade/protocol'
import { testKey, type TestKey } from '../testing/test-org.test.helper.js'
import { buildRootV1 } from './root-build.js'
import { buildNextRoot, type RootChanges } from './root-changes.js'
import { formatRootDraft, newRotationDraft, parseRootDraft, signRootDraft, type RootDraft } from './root-draft.js'
import { requireAnchor, requireNextVersion, requireRotationSignatures, rotationProgress } from './root-rotation.js'

const [alice, bob, carol, dave, erin, mallory] = ['alice', 'bob', 'carol', 'dave', 'erin', 'mallory'].map((n) => testKey(`rr/${n}`, n)) as [TestKey, TestKey, TestKey, TestKey, TestKey, TestKey]
const w1 = testKey('rr/w1', 'w1.example')
const w2 = testKey('rr/w2', 'w2.example')
const logKey = testKey('rr/log', 'palisade/acme')
const NOW = 1_700_000_000
const unlocked = (k: TestKey) => ({ name: k.name, publicKey: k.pub, seed: k.seed.slice() })

const v1Built = buildRootV1({
  org: 'acme',
  admins: [alice, bob, carol].map((k) => ({ name: k.name, publicKey: k.pub })),
  thresholds: { command: 2, policy: 2, root: 2, device: 1 },
  witnesses: { quorum: 1, keys: [cosignature.formatWitnessVerifierKey(w1.name, w1.pub)] },
  log: { origin: 'palisade/acme', key: note.formatVerifierKey(logKey.name, logKey.pub) },
  issuedAt: NOW,
  validForSeconds: 365 * 86400,
  maxCommandValiditySeconds: 7 * 86400,
})

async function envelopeText(payload: Uint8Array, signers: readonly TestKey[]): Promise<string> {
  return dsse.formatEnvelope(await dsse.signEnvelope(ROOT_PAYLOAD_TYPE, payload, signers.map((k) => dsse.ed25519Signer(k.id, k.seed))))
}

const v1Text = await envelopeText(v1Built.payload, [alice, bob])
const v1: SignedRoot = verifyAnchorRoot(v1Text, v1Built.fingerprint)

/** A rotation draft of v2 with `changes`, signed by `signers`. */
async function draftV2(changes: RootChanges, signers: readonly TestKey[]): Promise<RootDraft> {
  let d = newRotationDraft(buildNextRoot(v1.root, changes, NOW + 60).payload, [v1Text], changes.addWitnesses ?? [])
  for (const k of signers) d = await signRootDraft(d, unlocked(k))
  return d
}

const replaceAll: RootChanges = {
  removeAdmins: ['alice', 'bob', 'carol'],
  addAdmins: [dave, erin].map((k) => ({ name: k.name, publicKey: k.pub })),
}

describe('rotation drafts', () => {
  it('round-trip through the file format with their chain, and count signatures per key set', async () => {
    const d = await draftV2({ frozen: true }, [alice])
    const back = parseRootDraft(formatRootDraft(d), 'f.json', 'any')
    assert.equal(back.root.version, 2)
    assert.equal(back.rotation!.anchorFingerprint, v1Built.fingerprint)
    assert.equal(back.rotation!.current.root.version, 1)
    assert.deepEqual(back.signedBy, ['alice'])
    const p = rotationProgress(back)
    assert.deepEqual([p.old.signedBy, p.old.missing, p.new.signedBy, p.new.missing, p.ready], [['alice'], 1, ['alice'], 1, false])
    assert.match(formatRootDraft(d), /"type": "palisade.root-rotation-draft\/v1"/)
  })

  it('are refused where only a v1 draft is accepted (org init)', async () => {
    const text = formatRootDraft(await draftV2({ frozen: true }, []))
    assert.throws(() => parseRootDraft(text, 'f.json'), { code: 'CLI_ROOT_DRAFT_INVALID', message: /later root version \(a rotation\)/ })
  })

  it('take signatures from removed admins (old keys) and new admins, and no one else', async () => {
    const d = await draftV2(replaceAll, [alice, dave])
    assert.deepEqual(d.signedBy, ['alice', 'dave'])
    await assert.rejects(signRootDraft(d, unlocked(mallory)), { code: 'CLI_KEY_NOT_ADMIN', message: /v1 or v2/ })
    await assert.rejects(signRootDraft(d, unlocked(alice)), { code: 'CLI_ROOT_DRAFT_INVALID', message: /already signed by "alice"/ })
  })

  it('refuse a signature by a key of neither root, a chain that does not verify, and a root that is not the next version', async () => {
    const d = await draftV2({ frozen: true }, [alice])
    const doc = JSON.parse(formatRootDraft(d)) as { envelope: { signatures: { keyid: string; sig: string }[] }; chain: string[] }
    const bad = (mutate: (x: typeof doc) => unknown, re: RegExp): void => {
      const copy = JSON.parse(JSON.stringify(doc)) as typeof doc
      mutate(copy)
      assert.throws(() => parseRootDraft(JSON.stringify(copy), 'd.json', 'any'), { code: 'CLI_ROOT_DRAFT_INVALID', message: re })
    }
    const forged = (await dsse.signEnvelope(ROOT_PAYLOAD_TYPE, d.envelope.payload, [dsse.ed25519Signer(mallory.id, mallory.seed)])).signatures[0]!
    bad((x) => x.envelope.signatures.push({ keyid: mallory.id, sig: Buffer.from(forged.sig).toString('base64') }), /does not verify under any admin key of the root or the one before/)
    const v1Short = await envelopeText(v1Built.payload, [alice])
    bad((x) => (x.chain = [v1Short]), /chain of roots does not verify: root v1 lacks its own signatures/)
    bad((x) => (x.chain = []), /chain is not a list/)
    const v2 = buildNextRoot(v1.root, { frozen: true }, NOW + 60).root
    const v3 = buildNextRoot(v2, { frozen: false }, NOW + 120)
    assert.throws(() => newRotationDraft(v3.payload, [v1Text], []), { code: 'CLI_ROOT_DRAFT_INVALID', message: /holds root v3, but its chain ends at v1: a rotation draft is for v2/ })
  })

  it('need a URL for each witness the new root adds, and only for those of the new root', async () => {
    const add = { key: cosignature.formatWitnessVerifierKey(w2.name, w2.pub), url: 'https://w2.example' }
    const payload = buildNextRoot(v1.root, { addWitnesses: [add] }, NOW + 60).payload
    assert.throws(() => newRotationDraft(payload, [v1Text], []), { code: 'CLI_ROOT_DRAFT_INVALID', message: /no URL for the witness its root adds/ })
    assert.deepEqual(newRotationDraft(payload, [v1Text], [add]).witnesses, [add])
    const plain = buildNextRoot(v1.root, { frozen: true }, NOW + 60).payload
    assert.throws(() => newRotationDraft(plain, [v1Text], [add]), { message: /not a witness of its root/ })
  })
})

describe('requireAnchor', () => {
  it('accepts a draft whose chain starts at the pinned v1, and refuses another pin', async () => {
    const d = await draftV2({ frozen: true }, [])
    assert.equal(requireAnchor(d, v1Built.fingerprint, 'f').current.root.version, 1)
    assert.throws(() => requireAnchor(d, 'ab'.repeat(32), 'f'), { code: 'CLI_ROOT_DRAFT_INVALID', message: /starts at fingerprint .* not at the pinned abab/ })
  })
})

describe('requireNextVersion', () => {
  it('accepts a draft of v(N+1) built on the root in force', async () => {
    requireNextVersion(await draftV2({ frozen: true }, []), v1, 'f')
  })

  it('refuses a draft whose version is not current+1 (another rotation landed first), or that follows another vN', async () => {
    const landed = await draftV2({ frozen: true }, [alice, bob])
    const v2 = verifyRootUpdate(v1, landed.envelope)
    // a second admin drafted v2 from v1 meanwhile: the server is at v2 now
    const late = await draftV2({ thresholds: { command: 3 } }, [alice, bob])
    assert.throws(() => requireNextVersion(late, v2, 'late.json'), { code: 'CLI_ROOT_DRAFT_INVALID', message: /holds root v2, but the root in force is v2: only v3 can follow it/ })
    // a v3 draft when the server is still at v1
    const v3 = newRotationDraft(buildNextRoot(v2.root, { frozen: false }, NOW + 120).payload, [v1Text, dsse.formatEnvelope(landed.envelope)], [])
    assert.throws(() => requireNextVersion(v3, v1, 'v3.json'), { code: 'CLI_ROOT_DRAFT_INVALID', message: /holds root v3, but the root in force is v1: only v2 can follow it/ })
    // a server whose v1 is another root than the one the draft follows
    const fake: SignedRoot = { ...v1, fingerprint: 'cd'.repeat(32) }
    assert.throws(() => requireNextVersion(late, fake, 'late.json'), { message: /follows a root v1 with fingerprint .* but the root in force has cdcd/ })
  })
})

describe('requireRotationSignatures (the upload\'s local check)', () => {
  const at = NOW + 120

  it('passes a freeze signed by the root threshold (2) of the keys, which are old and new at once', async () => {
    const next = requireRotationSignatures(v1, await draftV2({ frozen: true }, [alice, bob]), at)
    assert.equal(next.root.version, 2)
    assert.equal(next.root.frozen, true)
  })

  it('refuses one signature short of the threshold, naming what is missing from both sets', async () => {
    const d = await draftV2({ frozen: true }, [carol])
    assert.throws(() => requireRotationSignatures(v1, d, at), {
      code: 'CLI_ROOT_UNDERSIGNED',
      message: /needs 1 more of v1's keys and 1 more of v2's keys: it carries 1 of the 2 signatures v1's keys must give and 1 of the 2 of its own/,
    })
  })

  it('refuses a rotation signed only by the old keys', async () => {
    const d = await draftV2(replaceAll, [alice, bob])
    assert.throws(() => requireRotationSignatures(v1, d, at), { code: 'CLI_ROOT_UNDERSIGNED', message: /needs 2 more of v2's keys: it carries 2 of the 2 signatures v1's keys must give and 0 of the 2 of its own/ })
  })

  it('refuses a rotation signed only by the new keys', async () => {
    const d = await draftV2(replaceAll, [dave, erin])
    assert.throws(() => requireRotationSignatures(v1, d, at), { code: 'CLI_ROOT_UNDERSIGNED', message: /needs 2 more of v1's keys: it carries 0 of the 2/ })
  })

  it('refuses one old signature short when the new set is complete, and passes once it is there', async () => {
    const d = await draftV2(replaceAll, [alice, dave, erin])
    assert.throws(() => requireRotationSignatures(v1, d, at), { code: 'CLI_ROOT_UNDERSIGNED', message: /needs 1 more of v1's keys:/ })
    const p = rotationProgress(d)
    assert.deepEqual([p.old.missing, p.old.unsigned, p.new.missing], [1, ['bob', 'carol'], 0])
    const full = await signRootDraft(d, unlocked(carol))
    assert.equal(rotationProgress(full).ready, true)
    assert.equal(requireRotationSignatures(v1, full, at).root.admins.map((a) => a.name).join(), 'dave,erin')
  })

  it('refuses a new root that has expired', async () => {
    const d = await draftV2({ frozen: true, validForSeconds: 86400 }, [alice, bob])
    assert.throws(() => requireRotationSignatures(v1, d, NOW + 2 * 86400), { code: 'CLI_ROOT_DRAFT_INVALID', message: /expired/ })
  })
})
