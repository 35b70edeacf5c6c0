/**
 * A scenario against the honest server: what a hostile device (A4) or a
 * client holding someone else's credentials (A5) tries on the real server
 * process, the answer the server must give (an HTTP status and problem
 * code, a gateway error code, a WebSocket close code), and what must NOT
 * have changed. The runner records one matrix row per scenario, the same
 * way for every one: observed answer, side effects found (none is the only
 * pass), and, where the server must raise one, the alert.
 */
import type { DeviceClient } from './device-client.js'
import type { Enrolled, LiveServer } from './live-server.js'

/** What the scenarios share: the server, two enrolled devices, and a command delivered to A on A's open connection. */
export interface Fleet {
  readonly s: LiveServer
  readonly a: Enrolled
  readonly b: Enrolled
  /** The token A and B enrolled with (3 uses, one left). */
  readonly token: string
  /** Device A's authenticated connection, which holds the delivery of `command`. */
  readonly aConn: DeviceClient
  /** A command delivered to A only, unanswered. */
  readonly command: string
  /** A command for B only, delivered whenever B connects, never answered. */
  readonly commandB: string
}

/** What a scenario saw. */
export interface Outcome {
  /** The server's answer, in the form of `expect` (e.g. `401 SRV_UNAUTHENTICATED`, `error SRV_GATEWAY_REPORT_SIGNATURE`, `close 4408`). */
  readonly observed: string
  /** Every unwanted change found (a row written, a delivery touched, a connection held past its bound); empty: none. */
  readonly sideEffects: readonly string[]
  /** Whether the alert the scenario requires was raised (undefined: none required). */
  readonly alerted?: boolean
}

export interface ClientScenario {
  readonly slug: string
  readonly title: string
  /** The attacker capability (A4 hostile device, A5 another org's credentials) or guarantee (G6) at stake. */
  readonly guarantee: string
  readonly expect: string
  /** control: an honest action that must succeed, so that the harness can fail. */
  readonly role?: 'attack' | 'control'
  /** True when the server must raise an alert naming the device. */
  readonly alert?: boolean
  run(f: Fleet): Promise<Outcome>
}

/** One line of the hostile-client matrix. */
export interface ClientRow {
  readonly slug: string
  readonly title: string
  readonly guarantee: string
  readonly role: 'attack' | 'control'
  readonly expected: string
  readonly observed: string
  readonly sideEffects: readonly string[]
  /** null: no alert required. */
  readonly alerted: boolean | null
  readonly pass: boolean
  readonly ms: number
}

/**
 * Runs one scenario and judges it: the answer must be the expected one, with
 * no side effect, and the alert raised where one is required.
 *
 * @example
 * const row = await runClientScenario(fleet, enrollmentScenarios[0])
 */
export async function runClientScenario(f: Fleet, c: ClientScenario): Promise<ClientRow> {
  const t0 = Date.now()
  const o = await c.run(f)
  const alerted = c.alert === true ? o.alerted === true : null
  const pass = o.observed === c.expect && o.sideEffects.length === 0 && alerted !== false
  return Object.freeze({
    slug: c.slug, title: c.title, guarantee: c.guarantee, role: c.role ?? 'attack', expected: c.expect, observed: o.observed,
    sideEffects: o.sideEffects, alerted, pass, ms: Date.now() - t0,
  })
}

/**
 * `<status> <problem code>` of an HTTP answer.
 *
 * @example
 * statusAndCode({ status: 401, body: { code: 'SRV_UNAUTHENTICATED' } }) // '401 SRV_UNAUTHENTICATED'
 */
export function statusAndCode(a: { readonly status: number; readonly body: Record<string, any> | null }): string {
  return `${a.status} ${String(a.body?.['code'] ?? '(no code)')}`
}
