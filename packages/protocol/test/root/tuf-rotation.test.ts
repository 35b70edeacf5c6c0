// The TUF conformance suite's key-rotation cases (theupdateframework/
// tuf-conformance, see vectors/SOURCES.md), replayed against Palisade's
// root rotation: same keys, thresholds and signers, same expected outcome.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { dsse, rootFingerprint, toBase64, verifyAnchorRoot, verifyRootUpdate, COMMAND_PAYLOAD_TYPE, type SignedRoot } from '../../dist/node.js'
import { vectorJson } from '../vectors.js'
import { key, TestOrg } from '../fixtures/org.js'

interface Step { keys: number[]; threshold: number; sigs: number[]; expectSuccess: boolean }
const data = vectorJson<{ root_rotation_cases: Record<string, Step[]>; non_root_rotation_cases: Record<string, Step> }>('tuf-key-rotation-cases.json')
const pool = Array.from({ length: 10 }, (_, i) => key(`tuf/${i}`))

function rootFor(org: TestOrg, version: number, step: Step): Record<string, unknown> {
  const t = step.threshold
  return {
    ...org.rootObject,
    version,
    admins: step.keys.map((i) => ({ id: pool[i]!.id, name: pool[i]!.name, publicKey: toBase64(pool[i]!.pub) })),
    thresholds: { command: t, policy: t, root: t, device: t },
  }
}

describe('TUF conformance root rotation cases', () => {
  for (const [name, steps] of Object.entries(data.root_rotation_cases)) {
    it(`${name}: ${steps.map((s) => (s.expectSuccess ? 'accept' : 'refuse')).join(', ')}`, async () => {
      const org = new TestOrg()
      const first = await org.signRoot(rootFor(org, 1, steps[0]!), steps[0]!.sigs.map((i) => pool[i]!))
      let trusted: SignedRoot = verifyAnchorRoot(first, rootFingerprint(dsse.parseEnvelope(first).payload))
      let version = 2
      for (const step of steps.slice(1)) {
        const env = await org.signRoot(rootFor(org, version, step), step.sigs.map((i) => pool[i]!))
        let ok = true
        try {
          trusted = verifyRootUpdate(trusted, env)
          version++
        } catch (e) {
          ok = false
          assert.equal((e as { code?: string }).code, 'PROTO_ROOT_SIG')
        }
        assert.equal(ok, step.expectSuccess, `v${version} expected ${step.expectSuccess ? 'accept' : 'refuse'}`)
      }
    })
  }
})

describe('TUF conformance non-root key cases, as command thresholds', () => {
  for (const [name, step] of Object.entries(data.non_root_rotation_cases)) {
    it(`${name}: ${step.expectSuccess ? 'accept' : 'refuse'}`, async () => {
      const org = new TestOrg()
      const env = dsse.parseEnvelope(await org.signCommandBytes(new TextEncoder().encode('{}'), step.sigs.map((i) => pool[i]!)))
      let ok = true
      try {
        dsse.verifyEnvelope(env, { payloadType: COMMAND_PAYLOAD_TYPE, keys: step.keys.map((i) => ({ keyid: pool[i]!.id, publicKey: pool[i]!.pub })), threshold: step.threshold })
      } catch (e) {
        ok = false
        assert.equal((e as { code?: string }).code, 'PROTO_SIG_THRESHOLD')
      }
      assert.equal(ok, step.expectSuccess)
    })
  }
})
