/**
 * What a simulator reports while it runs: counters per process, summed by
 * the parent over its workers. Gauges (connected, enrolling, memory) are
 * current values; the rest count since the start.
 */

/** The simulator's status; every field is a number so that workers can be summed. */
export interface SimCounters {
  /** Agents this process simulates. */
  agents: number
  /** Agents loaded from the state directory (enrolled by an earlier run). */
  loaded: number
  /** Agents enrolled by this run. */
  enrolled: number
  /** Enrollments in progress (gauge). */
  enrolling: number
  /** Agents with an authenticated connection (gauge). */
  connected: number
  /** Connection attempts waiting for the ramp or in their handshake (gauge). */
  connecting: number
  /** Delivery frames received. */
  deliveries: number
  /** Deliveries that verifyCommand accepted (and were answered with a no-op result). */
  verified: number
  /** Results acknowledged by the server (stored). */
  resultsAcked: number
  /** Deliveries refused, each reported as a signed rejection. */
  rejections: number
  rejectionsAcked: number
  /** Checkpoint frames accepted by verifyCheckpointUpdate, and refused by it. */
  checkpoints: number
  checkpointsRefused: number
  /** Reconnections after an authenticated connection was lost. */
  reconnects: number
  /** Connection attempts that failed before the welcome. */
  connectFailures: number
  /** Error frames the server sent (a refused report). */
  serverErrors: number
  /** Resident memory of the process(es), bytes (gauge). */
  rssBytes: number
  /** V8 heap in use, bytes (gauge). */
  heapUsedBytes: number
}

/** A zeroed set of counters. */
export function zeroCounters(): SimCounters {
  return {
    agents: 0, loaded: 0, enrolled: 0, enrolling: 0, connected: 0, connecting: 0, deliveries: 0, verified: 0,
    resultsAcked: 0, rejections: 0, rejectionsAcked: 0, checkpoints: 0, checkpointsRefused: 0, reconnects: 0,
    connectFailures: 0, serverErrors: 0, rssBytes: 0, heapUsedBytes: 0,
  }
}

/**
 * Field-by-field sum (the parent's view of its workers).
 *
 * @example
 * const total = sumCounters([a, b])
 */
export function sumCounters(all: readonly SimCounters[]): SimCounters {
  const total = zeroCounters()
  for (const c of all) for (const k of Object.keys(total) as (keyof SimCounters)[]) total[k] += c[k]
  return total
}

/**
 * One status line for humans.
 *
 * @example
 * formatStatus(counters) // 'connected 50/50, enrolling 0, deliveries verified 50, …'
 */
export function formatStatus(c: SimCounters): string {
  const mib = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`
  return (
    `connected ${c.connected}/${c.agents}, enrolling ${c.enrolling}, connecting ${c.connecting}, ` +
    `deliveries verified ${c.verified}/${c.deliveries}, results acked ${c.resultsAcked}, ` +
    `rejections ${c.rejections} (acked ${c.rejectionsAcked}), reconnects ${c.reconnects}, ` +
    `sim RSS ${mib(c.rssBytes)}${c.agents > 0 ? ` (${((c.rssBytes / c.agents) / 1024).toFixed(1)} KiB/agent)` : ''}`
  )
}
