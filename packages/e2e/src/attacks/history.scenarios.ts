/**
 * G2, history: the envelope must be in acme's log under a checkpoint signed
 * by acme's log key, for acme's origin, cosigned by both of acme's
 * witnesses, and extending the last checkpoint this device accepted.
 *
 * These commands ARE approved by the honest quorum (admin1 + admin2): the
 * server holds every fully signed envelope before it logs it, so the
 * question is whether it can run one off the record, on a second history,
 * or under an old view of the log.
 */
import { nowSeconds } from './attack-org.js'
import { rejectionRecord } from './run-scenario.js'
import type { Scenario } from './scenario.js'
import type { World } from './world.js'

const approved = (w: World, id: string): Promise<string> => w.a.signCommand(w.cmd(id), w.quorum)

/** A checkpoint of the honest log, cosigned by `witnesses`. */
function honestNote(w: World, witnesses = w.a.witnesses): Promise<string> {
  return w.a.ledger.note({ logKey: w.a.logKey, witnesses, time: nowSeconds() })
}

/** A second history: the agent's last checkpoint minus its last leaf, then the attacker's entries. */
async function forkedDelivery(w: World, id: string, extra: 'grow' | 'same-size', witnesses: 'attacker' | 'colluding') {
  const seen = w.gw.agentCheckpointSize
  if (seen < 2) throw new Error('the agent has not accepted a checkpoint yet')
  const env = await approved(w, id)
  const hidden = await w.a.signCommand(w.cmd(`${id}-hidden`), [w.attacker.stolen])
  const fork = extra === 'grow' ? w.a.ledger.fork(seen - 1, hidden, env) : w.a.ledger.fork(seen - 1, env)
  const cosigners = witnesses === 'attacker' ? [w.attacker.witness] : w.a.witnesses
  return {
    envelope: env,
    leafIndex: fork.size - 1,
    inclusionProof: fork.inclusion(fork.size - 1),
    checkpoint: await fork.note({ logKey: w.a.logKey, witnesses: cosigners, time: nowSeconds() }),
    consistencyProof: fork.consistency(seen),
    rootUpdates: w.pendingRoots,
  }
}

/** The fork evidence (both checkpoints) must be in the agent's own rejection log. */
function keptForkEvidence(w: World, id: string): string | null {
  const d = rejectionRecord(w, id)?.details
  return typeof d?.['seen'] === 'string' && typeof d['offered'] === 'string' && d['seen'] !== d['offered']
    ? null
    : 'the rejection log lacks the two checkpoints (seen, offered) as fork evidence'
}

export const historyScenarios: readonly Scenario[] = [
  {
    slug: 'not-in-log',
    title: 'Envelope not in the log (proof of another entry under the real checkpoint)',
    guarantee: 'G2',
    expect: 'PROTO_NOT_IN_LOG',
    async attack(w, id) {
      const { ledger } = w.a
      const last = ledger.size - 1
      await w.deliver(id, {
        envelope: await approved(w, id),
        leafIndex: last,
        inclusionProof: ledger.inclusion(last),
        checkpoint: await honestNote(w),
        consistencyProof: ledger.consistency(w.gw.agentCheckpointSize),
        rootUpdates: w.pendingRoots,
      })
    },
  },
  {
    slug: 'proof-other-tree',
    title: "Inclusion proof for another tree (the attacker's private tree) under the real checkpoint",
    guarantee: 'G2',
    expect: 'PROTO_NOT_IN_LOG',
    async attack(w, id) {
      const { ledger } = w.a
      const env = await approved(w, id)
      const priv = ledger.fork(ledger.size - 1, env)
      await w.deliver(id, {
        envelope: env,
        leafIndex: priv.size - 1,
        inclusionProof: priv.inclusion(priv.size - 1),
        checkpoint: await honestNote(w),
        consistencyProof: ledger.consistency(w.gw.agentCheckpointSize),
        rootUpdates: w.pendingRoots,
      })
    },
  },
  {
    slug: 'reencoded-envelope',
    title: 'Envelope bytes differ from the logged ones (same signatures, re-serialised JSON)',
    guarantee: 'G2',
    expect: 'PROTO_NOT_IN_LOG',
    async attack(w, id) {
      const env = await approved(w, id)
      const d = await w.logged(env)
      await w.deliver(id, { ...d, envelope: JSON.stringify(JSON.parse(env), null, 1) })
    },
  },
  {
    slug: 'wrong-log-key',
    title: 'Checkpoint signed by a wrong log key (same log name, another key)',
    guarantee: 'G2',
    expect: 'PROTO_LOG_SIG',
    async attack(w, id) {
      const d = await w.logged(await approved(w, id))
      const cp = await w.a.ledger.note({ logKey: w.attacker.fakeLogKey, witnesses: [], time: nowSeconds() })
      await w.deliver(id, { ...d, checkpoint: cp })
    },
  },
  {
    slug: 'other-log-origin',
    title: "Checkpoint for another log's origin (palisade/globex), signed with acme's log key",
    guarantee: 'G2',
    expect: 'PROTO_LOG_ORIGIN',
    async attack(w, id) {
      const d = await w.logged(await approved(w, id))
      const cp = await w.a.ledger.note({ logKey: w.a.logKey, witnesses: [], origin: w.b.origin, time: nowSeconds() })
      await w.deliver(id, { ...d, checkpoint: cp })
    },
  },
  {
    slug: 'mix-checkpoint-other-org',
    title: "Mix-and-match: acme's approved command logged in globex's log, under globex's genuinely cosigned checkpoint",
    guarantee: 'G2',
    expect: 'PROTO_LOG_SIG',
    async attack(w, id) {
      const b = w.b
      const env = await approved(w, id)
      const index = b.ledger.append(env)
      await w.deliver(id, {
        envelope: env,
        leafIndex: index,
        inclusionProof: b.ledger.inclusion(index),
        checkpoint: await b.ledger.note({ logKey: b.logKey, witnesses: b.witnesses, time: nowSeconds() }),
        consistencyProof: [],
        rootUpdates: w.pendingRoots,
      })
    },
  },
  {
    slug: 'one-witness',
    title: 'Too few witness cosignatures (1 of the 2 required)',
    guarantee: 'G2',
    expect: 'PROTO_WITNESS_QUORUM',
    async attack(w, id) {
      const d = await w.logged(await approved(w, id))
      await w.deliver(id, { ...d, checkpoint: await honestNote(w, [w.a.witnesses[0]!]) })
    },
  },
  {
    slug: 'no-witness',
    title: 'No witness cosignature at all (log signature only)',
    guarantee: 'G2',
    expect: 'PROTO_WITNESS_QUORUM',
    async attack(w, id) {
      const d = await w.logged(await approved(w, id))
      await w.deliver(id, { ...d, checkpoint: await honestNote(w, []) })
    },
  },
  {
    slug: 'unknown-witness',
    title: "A cosignature from an unknown witness (the attacker's) in place of the second",
    guarantee: 'G2',
    expect: 'PROTO_WITNESS_QUORUM',
    async attack(w, id) {
      const d = await w.logged(await approved(w, id))
      await w.deliver(id, { ...d, checkpoint: await honestNote(w, [w.a.witnesses[0]!, w.attacker.witness]) })
    },
  },
  {
    slug: 'same-witness-twice',
    title: 'One witness cosignature counted twice (the line repeated)',
    guarantee: 'G2',
    expect: 'PROTO_WITNESS_QUORUM',
    async attack(w, id) {
      const d = await w.logged(await approved(w, id))
      const w0 = w.a.witnesses[0]!
      await w.deliver(id, { ...d, checkpoint: await honestNote(w, [w0, w0]) })
    },
  },
  {
    slug: 'stale-cosignature',
    title: "A witness's cosignature of an older checkpoint pasted onto a new one",
    guarantee: 'G2',
    expect: 'PROTO_SIG_INVALID',
    async attack(w, id) {
      const { ledger } = w.a
      const older = await ledger.note({ logKey: w.a.logKey, witnesses: w.a.witnesses, time: nowSeconds() })
      const staleLine = older.trimEnd().split('\n').pop()!
      const d = await w.logged(await approved(w, id))
      await w.deliver(id, { ...d, checkpoint: `${await honestNote(w, [w.a.witnesses[0]!])}${staleLine}\n` })
    },
  },
  {
    slug: 'fork-attacker-cosigned',
    title: 'Forked log: a checkpoint that does not extend the one the agent saw, cosigned by the attacker only',
    guarantee: 'G2',
    expect: 'PROTO_WITNESS_QUORUM',
    attack: async (w, id) => w.deliver(id, await forkedDelivery(w, id, 'grow', 'attacker')),
  },
  {
    slug: 'fork-witnesses-collude',
    title: 'Forked log cosigned by both witnesses (colluding): inconsistent with the checkpoint the agent saw',
    guarantee: 'G2',
    expect: 'PROTO_LOG_INCONSISTENT',
    attack: async (w, id) => w.deliver(id, await forkedDelivery(w, id, 'grow', 'colluding')),
    check: keptForkEvidence,
  },
  {
    slug: 'fork-same-size',
    title: 'Forked log of the same size as the checkpoint the agent saw, another root hash (witnesses colluding)',
    guarantee: 'G2',
    expect: 'PROTO_LOG_INCONSISTENT',
    attack: async (w, id) => w.deliver(id, await forkedDelivery(w, id, 'same-size', 'colluding')),
    check: keptForkEvidence,
  },
  {
    slug: 'log-rollback',
    title: 'Log size rolled back: an approved command under an old (genuinely cosigned) checkpoint',
    guarantee: 'G2',
    expect: 'PROTO_LOG_ROLLBACK',
    reportId: 'x-stale-approved',
    runsOf: 'x-stale-approved',
    async attack(w) {
      const s = w.stale!
      await w.deliver(s.id, {
        envelope: s.envelope,
        leafIndex: s.index,
        inclusionProof: w.a.ledger.inclusion(s.index, s.index + 1),
        checkpoint: s.note,
        consistencyProof: [],
        rootUpdates: w.pendingRoots,
      })
    },
  },
]
