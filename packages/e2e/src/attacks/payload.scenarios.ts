/**
 * G1, the signed payload: every field that decides what runs, where, as
 * whom and when is inside the admins' signature. The admins (the honest
 * quorum, admin1 + admin2) signed something harmless or meant for another
 * place or time; the server edits it, or replays it where it was not meant
 * to run. Each edited envelope is logged and cosigned like any other.
 */
import { canonicalJsonBytes, merkleTargets, targetProof, toBase64 } from '@palisade/protocol'
import { editPayload, nowSeconds, type Json } from './attack-org.js'
import type { Scenario } from './scenario.js'
import type { World } from './world.js'

/** Signed by the honest quorum as `signed`, delivered as `edited`. */
async function editAfterSigning(w: World, id: string, signed: Json, edited: Json): Promise<void> {
  const env = await w.a.signCommand(w.cmd(id, signed), w.quorum)
  await w.deliver(id, await w.logged(editPayload(env, edited)))
}

function merkleJson(ids: readonly string[]): Json {
  const t = merkleTargets(ids)
  if (t.kind !== 'merkle') throw new Error('merkleTargets did not return a commitment')
  return { kind: 'merkle', root: toBase64(t.root), count: t.count }
}

export const payloadScenarios: readonly Scenario[] = [
  {
    slug: 'edit-script',
    title: 'Payload changed after signing: script',
    guarantee: 'G1',
    expect: 'PROTO_SIG_THRESHOLD',
    attack: (w, id) => editAfterSigning(w, id, { script: 'echo harmless' }, { script: w.script(id) }),
  },
  {
    slug: 'edit-interpreter',
    title: 'Payload changed after signing: interpreter (bash → sh)',
    guarantee: 'G1',
    expect: 'PROTO_SIG_THRESHOLD',
    attack: (w, id) => editAfterSigning(w, id, { interpreter: 'bash' }, { interpreter: 'sh' }),
  },
  {
    slug: 'edit-run-as',
    title: 'Payload changed after signing: run-as (nobody → the agent account)',
    guarantee: 'G1',
    expect: 'PROTO_SIG_THRESHOLD',
    attack: (w, id) => editAfterSigning(w, id, { runAs: 'nobody' }, { runAs: w.runAs }),
  },
  {
    slug: 'edit-timeout',
    title: 'Payload changed after signing: timeout (30 s → 1 day)',
    guarantee: 'G1',
    expect: 'PROTO_SIG_THRESHOLD',
    attack: (w, id) => editAfterSigning(w, id, { timeoutSeconds: 30 }, { timeoutSeconds: 86400 }),
  },
  {
    slug: 'edit-targets',
    title: 'Payload changed after signing: targets (another device → all)',
    guarantee: 'G1',
    expect: 'PROTO_SIG_THRESHOLD',
    attack: (w, id) => editAfterSigning(w, id, { targets: { kind: 'devices', ids: [w.others[0]] } }, { targets: { kind: 'all' } }),
  },
  {
    slug: 'edit-validity',
    title: 'Payload changed after signing: validity (an expired window moved to now)',
    guarantee: 'G1',
    expect: 'PROTO_SIG_THRESHOLD',
    attack: (w, id) => {
      const now = nowSeconds()
      return editAfterSigning(w, id, { notBefore: now - 7200, notAfter: now - 3600 }, { notBefore: now - 60, notAfter: now + 600 })
    },
  },
  {
    slug: 'retarget-explicit',
    title: 'Valid envelope for other devices (explicit list without this one) delivered here',
    guarantee: 'G1',
    expect: 'PROTO_NOT_TARGETED',
    async attack(w, id) {
      const env = await w.a.signCommand(w.cmd(id, { targets: { kind: 'devices', ids: [...w.others] } }), w.quorum)
      await w.deliver(id, await w.logged(env))
    },
  },
  {
    slug: 'retarget-merkle-other-proof',
    title: "Merkle target set that includes this device, delivered with another device's membership proof",
    guarantee: 'G1',
    expect: 'PROTO_NOT_TARGETED',
    async attack(w, id) {
      const set = [w.device.id, ...w.others]
      const env = await w.a.signCommand(w.cmd(id, { targets: merkleJson(set) }), w.quorum)
      await w.deliver(id, await w.logged(env, { targetProof: targetProof(set, w.others[0]!)! }))
    },
  },
  {
    slug: 'retarget-merkle-not-member',
    title: "Merkle target set without this device, with a member's valid proof",
    guarantee: 'G1',
    expect: 'PROTO_NOT_TARGETED',
    async attack(w, id) {
      const set = [...w.others]
      const env = await w.a.signCommand(w.cmd(id, { targets: merkleJson(set) }), w.quorum)
      await w.deliver(id, await w.logged(env, { targetProof: targetProof(set, w.others[1]!)! }))
    },
  },
  {
    slug: 'retarget-merkle-forged-proof',
    title: 'Merkle target set without this device, with a proof computed over a set that has it',
    guarantee: 'G1',
    expect: 'PROTO_NOT_TARGETED',
    async attack(w, id) {
      const env = await w.a.signCommand(w.cmd(id, { targets: merkleJson(w.others) }), w.quorum)
      const forged = targetProof([w.device.id, ...w.others], w.device.id)!
      await w.deliver(id, await w.logged(env, { targetProof: forged }))
    },
  },
  {
    slug: 'msp-other-org',
    title: "A command for another org (globex), signed by admins that org shares with acme (an MSP's keys), logged in acme's log",
    guarantee: 'G1',
    expect: 'PROTO_ORG_MISMATCH',
    async attack(w, id) {
      const env = await w.a.signCommand(w.cmd(id, { org: w.b.org }), w.quorum)
      await w.deliver(id, await w.logged(env))
    },
  },
  {
    slug: 'expired',
    title: 'Expired command (valid until an hour ago)',
    guarantee: 'G1',
    expect: 'PROTO_EXPIRED',
    async attack(w, id) {
      const now = nowSeconds()
      await w.deliver(id, await w.logged(await w.a.signCommand(w.cmd(id, { notBefore: now - 7200, notAfter: now - 3600 }), w.quorum)))
    },
  },
  {
    slug: 'not-yet-valid',
    title: 'Not-yet-valid command (valid from an hour from now)',
    guarantee: 'G1',
    expect: 'PROTO_EXPIRED',
    async attack(w, id) {
      const now = nowSeconds()
      await w.deliver(id, await w.logged(await w.a.signCommand(w.cmd(id, { notBefore: now + 3600, notAfter: now + 7200 }), w.quorum)))
    },
  },
  {
    slug: 'window-too-long',
    title: "Not-after beyond the root's allowed window (30 days; the root allows 7)",
    guarantee: 'G1',
    expect: 'PROTO_VALIDITY_TOO_LONG',
    async attack(w, id) {
      const now = nowSeconds()
      await w.deliver(id, await w.logged(await w.a.signCommand(w.cmd(id, { notBefore: now - 60, notAfter: now + 30 * 86400 }), w.quorum)))
    },
  },
  {
    slug: 'payload-type-downgrade',
    title: 'Version downgrade: the command under an older DSSE payload type (…command.v0+json), quorum-signed',
    guarantee: 'G1',
    expect: 'PROTO_PAYLOAD_TYPE',
    async attack(w, id) {
      const env = await w.a.signBytes(canonicalJsonBytes(w.cmd(id)), w.quorum, 'application/vnd.palisade.command.v0+json')
      await w.deliver(id, await w.logged(env))
    },
  },
  {
    slug: 'command-type-downgrade',
    title: 'Version downgrade: payload "type": "palisade.command/v0", quorum-signed',
    guarantee: 'G1',
    expect: 'PROTO_MALFORMED',
    async attack(w, id) {
      const env = await w.a.signBytes(canonicalJsonBytes(w.cmd(id, { type: 'palisade.command/v0' })), w.quorum)
      await w.deliver(id, await w.logged(env))
    },
  },
  {
    slug: 'root-as-command',
    title: 'Type confusion: the signed root v1 (quorum-signed, log entry 0) delivered as a command',
    guarantee: 'G1',
    expect: 'PROTO_PAYLOAD_TYPE',
    async attack(w, id) {
      const { ledger } = w.a
      await w.deliver(id, {
        envelope: w.a.roots[0]!,
        leafIndex: 0,
        inclusionProof: ledger.inclusion(0),
        checkpoint: await ledger.note({ logKey: w.a.logKey, witnesses: w.a.witnesses, time: nowSeconds() }),
        consistencyProof: ledger.consistency(w.gw.agentCheckpointSize),
        rootUpdates: w.pendingRoots,
      })
    },
  },
]

