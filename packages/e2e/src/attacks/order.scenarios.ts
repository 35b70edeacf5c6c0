/**
 * G2, log order: commands run in the order of the log. For state-changing
 * commands order is meaning ("install v2" then "remove v1" is not the
 * reverse), and the honest server delivers in log order, so a device
 * refuses a command that sits in the log before one it already ran
 * (PROTO_OUT_OF_ORDER) instead of running the two swapped.
 *
 * Two steps, so that the harness counts each run: the breached server has
 * A and B approved by the honest quorum, logged (A first) and cosigned like
 * any others, and delivers B first (a control: it must run), then A (the
 * attack: it must not).
 */
import { rejectionRecord } from './run-scenario.js'
import { commandId, type Scenario } from './scenario.js'
import type { World } from './world.js'

const EARLIER = commandId('out-of-order')

/** What the control logged for the attack: A (the earlier entry) and B's index. */
const logged = new WeakMap<World, { readonly envelope: string; readonly index: number; readonly later: number }>()

export const orderScenarios: readonly Scenario[] = [
  {
    slug: 'control-order-later',
    title: 'Control: commands A and B approved and logged in that order; B, delivered first, runs',
    guarantee: 'control',
    expect: null,
    role: 'control',
    async attack(w, id) {
      const earlier = await w.a.signCommand(w.cmd(EARLIER), w.quorum)
      const index = w.a.ledger.append(earlier)
      const d = await w.logged(await w.a.signCommand(w.cmd(id), w.quorum))
      logged.set(w, { envelope: earlier, index, later: d.leafIndex })
      await w.deliver(id, d)
    },
  },
  {
    slug: 'out-of-order',
    title: 'Reordered delivery: command A, logged before B, delivered after B ran (both approved, logged and cosigned)',
    guarantee: 'G2',
    expect: 'PROTO_OUT_OF_ORDER',
    async attack(w, id) {
      const a = logged.get(w)
      if (a === undefined) throw new Error('the control that logs A and runs B did not run first')
      await w.deliver(id, await w.redelivery(a.index, a.envelope))
    },
    check(w, id) {
      const a = logged.get(w)!
      const d = rejectionRecord(w, id)?.details
      return d?.['leafIndex'] === a.index && d['lastIndex'] === a.later
        ? null
        : `the rejection log lacks the two indices as evidence (leafIndex ${a.index}, lastIndex ${a.later}): ${JSON.stringify(d)}`
    },
  },
]
