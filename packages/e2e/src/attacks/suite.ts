/**
 * The order the scenarios run in against one agent process. Order matters
 * where state does: the first control gives the agent a checkpoint (which
 * the fork and rollback attacks need) and a command to replay; the
 * rotation control moves it to root v2 (which the rollback and
 * removed-key attacks need); scenarios that drop the connection or restart
 * the agent come last, since each reconnect waits out the agent's backoff.
 */
import { controlFinal, controlFirst, controlRotation } from './control.scenarios.js'
import { downgradeScenarios } from './downgrade.scenarios.js'
import { frameScenarios } from './frames.scenarios.js'
import { freezeScenarios } from './freeze.scenarios.js'
import { handshakeScenarios } from './handshake.scenarios.js'
import { historyScenarios } from './history.scenarios.js'
import { orderScenarios } from './order.scenarios.js'
import { payloadScenarios } from './payload.scenarios.js'
import { quorumScenarios } from './quorum.scenarios.js'
import { replayScenarios } from './replay.scenarios.js'
import { rootScenariosV1, rootScenariosV2, rotationScenarios } from './roots.scenarios.js'
import type { Scenario } from './scenario.js'

const bySlug = (list: readonly Scenario[], slug: string): Scenario => {
  const s = list.find((x) => x.slug === slug)
  if (s === undefined) throw new Error(`no scenario ${slug}`)
  return s
}
const inPlace = frameScenarios.filter((s) => !['handshake-skipped', 'oversize-frame', 'binary-frame'].includes(s.slug))

export const SUITE: readonly Scenario[] = [
  controlFirst,
  ...quorumScenarios,
  ...payloadScenarios,
  ...downgradeScenarios,
  ...historyScenarios,
  // a control that runs B, then the attack that delivers A (logged before B)
  ...orderScenarios,
  // its own device and gateway: the suite's agent is not involved
  ...freezeScenarios,
  ...rootScenariosV1,
  ...rotationScenarios,
  controlRotation,
  ...rootScenariosV2,
  bySlug(replayScenarios, 'replay-same-connection'),
  ...inPlace,
  bySlug(replayScenarios, 'replay-after-reconnect'),
  bySlug(frameScenarios, 'handshake-skipped'),
  // the restart also resets the agent's reconnect backoff for the two after it
  bySlug(replayScenarios, 'replay-after-restart'),
  bySlug(frameScenarios, 'oversize-frame'),
  bySlug(frameScenarios, 'binary-frame'),
  // each restarts the agent: its first connection is the hijacked one
  ...handshakeScenarios,
  controlFinal,
]

const slugs = SUITE.map((s) => s.slug)
if (new Set(slugs).size !== slugs.length) throw new Error('scenario slugs repeat')
