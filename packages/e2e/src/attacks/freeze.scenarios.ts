/**
 * Freeze by withholding (issue #4): a breached server cannot forge a fresh
 * checkpoint (witnesses cosign with their own clocks), but it can stop
 * passing new ones on, to hide a freeze, a rotation or a fork behind an
 * old view of the log. It must not do so silently: once the newest
 * checkpoint a device accepted is older, by its witnesses' cosignature
 * time, than the root's `checkpointMaxAgeSeconds`, the device raises
 * AGENT_CHECKPOINT_STALE (signed, kept in alerts.jsonl, sent as an `alert`
 * frame and to the root's monitors).
 *
 * The smallest interval a root allows is 300 s, too long to wait out in the
 * suite; instead the server here keeps serving the last checkpoint the
 * witnesses cosigned, 400 s ago, and nothing newer: exactly what a device
 * sees 400 s into a withholding. This needs a root that sets the interval,
 * so the scenario runs its own device of its own org (initech) against its
 * own rogue gateway, and leaves the suite's agent alone.
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { AgentProcess, writeEnrollment } from './agent-process.js'
import { AttackOrg, nowSeconds } from './attack-org.js'
import { RogueGateway } from './rogue-gateway.js'
import type { Observation, Scenario } from './scenario.js'
import type { World } from './world.js'

/** The smallest checkpointMaxAgeSeconds a root may set (WIRE.md: 300..2592000). */
const MAX_AGE = 300
/** How long ago the withheld log's last checkpoint was cosigned. */
const WITHHELD_FOR = MAX_AGE + 100

/** Org initech, whose root v1 asks devices to alert after MAX_AGE without a fresher checkpoint. */
async function freshnessOrg(): Promise<AttackOrg> {
  const org = new AttackOrg('initech')
  const admins = org.admins.slice(0, 3)
  const v1 = await org.signRoot(org.rootObject(1, admins, { checkpointMaxAgeSeconds: MAX_AGE }), admins.slice(0, 2))
  org.roots.push(v1)
  org.ledger.appendRoot(v1)
  return org
}

/** True when the agent's own alerts.jsonl holds this very signed alert. */
function inAlertLog(stateDir: string, envelope: string): boolean {
  let text: string
  try {
    text = readFileSync(join(stateDir, 'alerts.jsonl'), 'utf8')
  } catch {
    return false
  }
  return text.split('\n').some((l) => l !== '' && (JSON.parse(l) as { envelope?: unknown }).envelope === envelope)
}

async function withheld(w: World): Promise<Observation> {
  const org = await freshnessOrg()
  const gw = await new RogueGateway().start()
  const dir = join(dirname(w.device.dir), 'freeze-state')
  const device = await writeEnrollment(dir, 'dev-initech-1', org, gw.url)
  gw.knowDevice({ id: device.id, publicKey: device.publicKey })
  const agent = new AgentProcess(dir, w.policyPath)
  try {
    await gw.waitFor((e) => e.type === 'hello' && e.ok, 20_000)
    const since = gw.events.length
    // The genuine, fully cosigned checkpoint of 400 s ago: all this server ever passes on.
    const note = await org.ledger.note({ logKey: org.logKey, witnesses: org.witnesses, time: nowSeconds() - WITHHELD_FOR })
    await gw.send({ type: 'checkpoint', note, consistency: [] })
    const e = await gw.waitFor((x) => x.type === 'alert', 10_000, since)
    if (e.type !== 'alert') throw new Error('unreachable')
    return { observed: e.code, executed: false, logged: inAlertLog(dir, e.envelope), reported: e.verified }
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- freeze agent output (tail) ---\n${agent.output.slice(-2000)}`)
  } finally {
    await agent.stop()
    await gw.stop()
  }
}

export const freezeScenarios: readonly Scenario[] = [
  {
    slug: 'freeze-withheld',
    title: `Freeze by withholding: the server passes on only a checkpoint its witnesses cosigned ${WITHHELD_FOR} s ago (the root allows ${MAX_AGE} s), never a fresher one`,
    guarantee: 'G2/G6',
    expect: 'AGENT_CHECKPOINT_STALE',
    attack: async () => undefined,
    observe: (w) => withheld(w),
  },
]
