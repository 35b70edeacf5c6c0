/**
 * G1, signatures: the command must carry valid signatures by a threshold
 * (2) of DISTINCT admin keys of the root the device trusts. Every envelope
 * here is appended to acme's real log and delivered under a checkpoint the
 * real witnesses cosigned (they cosign any append-only extension), so the
 * signature check is the only thing standing between the attacker and a
 * shell on the device.
 */
import { dsse, fromBase64, toBase64 } from '@palisade/protocol'
import type { Scenario } from './scenario.js'

/** The envelope with one byte of signature `i` flipped. */
function corrupt(envelope: string, i: number): string {
  const env = JSON.parse(envelope) as { signatures: { keyid: string; sig: string }[] }
  const sig = fromBase64(env.signatures[i]!.sig)
  sig[7] = sig[7]! ^ 0x01
  env.signatures[i]!.sig = toBase64(sig)
  return JSON.stringify(env)
}

export const quorumScenarios: readonly Scenario[] = [
  {
    slug: 'forged-signature',
    title: 'Forged signature: the second admin signature is altered (one bit)',
    guarantee: 'G1',
    expect: 'PROTO_SIG_THRESHOLD',
    async attack(w, id) {
      const env = await w.a.signCommand(w.cmd(id), w.quorum)
      await w.deliver(id, await w.logged(corrupt(env, 1)))
    },
  },
  {
    slug: 'one-short',
    title: 'One signature short of the threshold (the stolen admin key alone, 1 of 2)',
    guarantee: 'G1',
    expect: 'PROTO_SIG_THRESHOLD',
    async attack(w, id) {
      await w.deliver(id, await w.logged(await w.a.signCommand(w.cmd(id), [w.attacker.stolen])))
    },
  },
  {
    slug: 'same-key-twice',
    title: 'The same key signs twice (two signatures, one key id)',
    guarantee: 'G1',
    expect: 'PROTO_SIG_THRESHOLD',
    async attack(w, id) {
      const k = w.attacker.stolen
      await w.deliver(id, await w.logged(await w.a.signCommand(w.cmd(id), [k, k])))
    },
  },
  {
    slug: 'same-key-two-keyids',
    title: "The same key's signature listed again under another admin's key id",
    guarantee: 'G1',
    expect: 'PROTO_SIG_THRESHOLD',
    async attack(w, id) {
      const k = w.attacker.stolen
      const other = w.a.admins[1]!
      const bytes = dsse.parseEnvelope(await w.a.signCommand(w.cmd(id), [k])).payload
      const env = await dsse.signEnvelope('application/vnd.palisade.command+json', bytes, [
        dsse.ed25519Signer(k.id, k.seed),
        dsse.ed25519Signer(other.id, k.seed),
      ])
      await w.deliver(id, await w.logged(dsse.formatEnvelope(env)))
    },
  },
  {
    slug: 'key-not-in-root',
    title: "A signature by a key the root does not name (stolen admin + the attacker's own key)",
    guarantee: 'G1',
    expect: 'PROTO_SIG_THRESHOLD',
    async attack(w, id) {
      await w.deliver(id, await w.logged(await w.a.signCommand(w.cmd(id), [w.attacker.stolen, w.attacker.own])))
    },
  },
  {
    slug: 'log-key-as-admin',
    title: "The server's own log key as the second signer (stolen admin + log key)",
    guarantee: 'G1',
    expect: 'PROTO_SIG_THRESHOLD',
    async attack(w, id) {
      const log = { ...w.a.logKey, name: 'log' }
      await w.deliver(id, await w.logged(await w.a.signCommand(w.cmd(id), [w.attacker.stolen, log])))
    },
  },
  {
    slug: 'unsigned',
    title: 'An envelope with no signature at all',
    guarantee: 'G1',
    expect: 'PROTO_SIG_THRESHOLD',
    async attack(w, id) {
      await w.deliver(id, await w.logged(await w.a.signCommand(w.cmd(id), [])))
    },
  },
  {
    slug: 'other-org-admins',
    title: "Another org's command, signed by that org's own admin quorum, delivered to an acme device",
    guarantee: 'G1',
    expect: 'PROTO_SIG_THRESHOLD',
    async attack(w, id) {
      const b = w.b
      const env = await b.signCommand(b.command(id, { script: w.script(id), runAs: w.runAs }), [b.admins[0]!, b.admins[1]!])
      await w.deliver(id, await w.logged(env))
    },
  },
]
