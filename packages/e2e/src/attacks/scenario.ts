/**
 * A scenario: one thing a breached server tries, the guarantee it attacks,
 * and the stable code the agent must answer with. The runner
 * (run-scenario.ts) checks every scenario the same three ways: nothing ran,
 * the agent kept the rejection with that code in its own rejection log,
 * and the signed rejection reached the gateway.
 */
import type { World } from './world.js'

export type Role = 'attack' | 'control' | 'known-gap'

export interface Scenario {
  /** Short slug; the command id of the scenario is `x-<slug>` (see commandId). */
  readonly slug: string
  readonly title: string
  /** The DESIGN.md guarantee(s) attacked: G1 quorum, G2 history, G3 root rotation, G6 loud failure (and robustness). */
  readonly guarantee: string
  /**
   * The code the agent must record and report. null: the attack never
   * becomes a delivery (a frame the agent drops or a connection it closes):
   * then nothing may be reported, and nothing may run.
   */
  readonly expect: string | null
  /** attack (default), control (must run), known-gap (runs today; the test is marked todo). */
  readonly role?: Role
  /** For a known gap: why it runs, in one sentence. */
  readonly gap?: string
  /** The command whose run count shows a successful attack, when it is not this scenario's own (replays). */
  readonly runsOf?: string
  /** The command id the report carries, when it is not this scenario's own (replays). */
  readonly reportId?: string
  /** Sends the attack. */
  attack(w: World, commandId: string): Promise<void>
  /**
   * For an attack that is not a delivery to the suite's agent (its own
   * agent, an alert rather than a rejection): observes the outcome itself,
   * in place of the report-based observation. Called after `attack`.
   */
  observe?(w: World, commandId: string): Promise<Observation>
  /** A further check after the report arrived (e.g. the evidence kept); returns what is wrong, or null. */
  check?(w: World, commandId: string): string | null
}

/** What a scenario with its own observation saw (see Scenario.observe). */
export interface Observation {
  /** The code the agent answered with, 'result' when it ran, null when it said nothing. */
  readonly observed: string | null
  readonly executed: boolean
  /** The agent kept the signed evidence locally. */
  readonly logged: boolean
  /** The signed evidence reached the gateway and verifies under the device key. */
  readonly reported: boolean
}

/** The command id of a scenario: fresh per scenario, stable across runs. */
export function commandId(slug: string): string {
  return `x-${slug}`
}
