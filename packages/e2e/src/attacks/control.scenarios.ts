/**
 * Controls: valid deliveries that MUST run, so that the harness can fail
 * (a suite that only ever sees refusals proves nothing about a broken
 * agent or a broken gateway). Each is approved by the honest quorum,
 * logged and cosigned, and delivered as an honest server would.
 */
import { merkleTargets, targetProof, toBase64 } from '@palisade/protocol'
import type { Scenario } from './scenario.js'

export const controlFirst: Scenario = {
  slug: 'control-first',
  title: 'Control: a valid command (explicit target list naming this device) runs',
  guarantee: 'control',
  expect: null,
  role: 'control',
  async attack(w, id) {
    const env = await w.a.signCommand(w.cmd(id, { targets: { kind: 'devices', ids: [w.device.id, ...w.others].sort() } }), w.quorum)
    const d = await w.logged(env)
    w.ran.set(id, { envelope: env, index: d.leafIndex })
    await w.deliver(id, d)
  },
}

export const controlRotation: Scenario = {
  slug: 'control-rotation',
  title: 'Control: the honest rotation to root v2 with a valid command (Merkle target set with its proof) runs',
  guarantee: 'control',
  expect: null,
  role: 'control',
  async attack(w, id) {
    await w.rootV2()
    const set = [w.device.id, ...w.others]
    const t = merkleTargets(set)
    if (t.kind !== 'merkle') throw new Error('expected a Merkle commitment')
    const env = await w.a.signCommand(w.cmd(id, { targets: { kind: 'merkle', root: toBase64(t.root), count: t.count } }), w.quorum)
    const d = await w.logged(env, { targetProof: targetProof(set, w.device.id)! })
    if (d.rootUpdates.length !== 1) throw new Error(`expected to deliver root v2, delivering ${d.rootUpdates.length} roots`)
    w.ran.set(id, { envelope: env, index: d.leafIndex })
    await w.deliver(id, d)
  },
}

export const controlFinal: Scenario = {
  slug: 'control-final',
  title: 'Control, after every attack (and its restart): the agent still runs a valid command',
  guarantee: 'control',
  expect: null,
  role: 'control',
  attack: async (w, id) => w.deliver(id, await w.logged(await w.a.signCommand(w.cmd(id), w.quorum))),
}
