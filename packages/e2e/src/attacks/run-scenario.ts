/**
 * Runs one scenario against the live agent and observes, from outside the
 * agent, the three things the suite asserts:
 *
 *   1. executed — the command's run file (its script appends to it) did not
 *      grow, and no result for it reached the gateway;
 *   2. logged   — <state>/rejections.jsonl holds a line for the command
 *      with the expected code and the very envelope that was sent;
 *   3. reported — the gateway received a rejection for it whose DSSE
 *      envelope verifies under the device key, with that code.
 *
 * For a scenario that is not a delivery (expect null), a probe delivery
 * follows it: once the probe's rejection arrives, the agent has handled
 * everything before it (the agent reads frames in order and handles
 * deliveries one at a time), and nothing but the probe may have been
 * reported.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Report } from './rogue-gateway.js'
import { commandId, type Role, type Scenario } from './scenario.js'
import type { World } from './world.js'

/** One line of the matrix. */
export interface Row {
  readonly slug: string
  readonly title: string
  readonly guarantee: string
  readonly role: Role
  readonly expected: string | null
  /** What the agent answered: a code, 'result' when it ran, null when it reported nothing. */
  readonly observed: string | null
  readonly executed: boolean
  readonly logged: boolean
  readonly reported: boolean
  readonly pass: boolean
  readonly ms: number
  readonly notes: string
}

const WAIT_MS = 15_000

export async function runScenario(w: World, s: Scenario): Promise<Row> {
  const id = commandId(s.slug)
  const role = s.role ?? 'attack'
  const runsOf = s.runsOf ?? id
  const reportId = s.reportId ?? id
  const runsBefore = w.runs(runsOf)
  const since = w.gw.events.length
  const t0 = Date.now()
  await s.attack(w, id)
  if (s.observe !== undefined) {
    const o = await s.observe(w, id)
    const pass = !o.executed && o.observed === s.expect && o.logged && o.reported
    return Object.freeze({ slug: s.slug, title: s.title, guarantee: s.guarantee, role, expected: s.expect, ...o, pass, ms: Date.now() - t0, notes: '' })
  }

  let report: Report | undefined
  let notes = ''
  if (s.expect !== null || role !== 'attack') {
    const e = await w.gw.waitFor((e) => e.type === 'report' && e.report.commandId === reportId, WAIT_MS, since)
    report = e.type === 'report' ? e.report : undefined
  } else {
    const probe = `probe-${s.slug}`.slice(0, 64)
    await w.deliverRaw(probe, {})
    await w.gw.waitFor((e) => e.type === 'report' && e.report.commandId === probe, WAIT_MS, since)
    const others = w.gw.reportsSince(since).filter((r) => r.commandId !== probe)
    report = others[0]
    if (others.length > 1) notes = `${others.length} reports`
  }
  const ms = Date.now() - t0

  const observed = report === undefined ? null : report.kind === 'result' ? 'result' : report.code
  const resultSeen = w.gw.reportsSince(since).some((r) => r.kind === 'result' && r.commandId === runsOf)
  const executed = w.runs(runsOf) > runsBefore || resultSeen
  const reported = report !== undefined && report.kind === 'rejection' && report.verified
  const logged = report !== undefined && report.kind === 'rejection' && inRejectionLog(w, report)

  let pass: boolean
  if (role === 'control') {
    pass = executed && w.runs(runsOf) === runsBefore + 1 && report?.kind === 'result' && report.verified && report.exitCode === 0
  } else if (s.expect === null) {
    pass = !executed && report === undefined
  } else {
    pass = !executed && observed === s.expect && reported && logged
  }
  const problem = s.check?.(w, id) ?? null
  if (problem !== null) {
    pass = false
    notes = problem
  }
  if (role === 'known-gap' && !pass) notes = s.gap ?? 'known gap'
  return Object.freeze({ slug: s.slug, title: s.title, guarantee: s.guarantee, role, expected: s.expect, observed, executed, logged, reported, pass, ms, notes })
}

/** True when the agent's own rejection log holds this very report (same command, code and signed envelope). */
function inRejectionLog(w: World, r: Report): boolean {
  let text: string
  try {
    text = readFileSync(join(w.device.dir, 'rejections.jsonl'), 'utf8')
  } catch {
    return false
  }
  return text
    .split('\n')
    .filter((l) => l !== '')
    .some((l) => {
      const rec = JSON.parse(l) as { commandId: unknown; code: unknown; envelope: unknown }
      return rec.commandId === r.commandId && rec.code === r.code && rec.envelope === r.envelope
    })
}

/** The rejection-log record of a command's latest rejection, with its evidence. */
export function rejectionRecord(w: World, cmd: string): { code: string; details?: Record<string, unknown> } | undefined {
  const text = readFileSync(join(w.device.dir, 'rejections.jsonl'), 'utf8')
  const recs = text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { commandId: string; code: string; details?: Record<string, unknown> })
  return recs.reverse().find((r) => r.commandId === cmd)
}
