/**
 * runAgent: the long-running agent of one enrolled device. Loads and
 * re-verifies its state, then keeps one WebSocket to the gateway, forever
 * reconnecting with exponential backoff and full jitter, until `signal`
 * aborts.
 *
 * Idle cost: while connected and idle the agent holds one socket and two
 * interval timers (the tick: a liveness ping and an inventory check every
 * `inventoryIntervalMs`, default 10 minutes; and the freshness check every
 * `stalenessCheckMs`, default 1 minute, which touches nothing but memory
 * until a checkpoint is too old); while disconnected, one timeout for the
 * next attempt; while a monitor is unreachable, one retry timer for it. Nothing polls the disk: the spool is
 * indexed in memory at start and the local policy is read when a command
 * needs it.
 *
 * Several servers: the agent connects to the first of its server list
 * (net/server-list.ts: device.json's server, then servers.json, or
 * `servers` when given), and each time a connection ends it moves to the
 * next, after the usual backoff delay. Any node serves it the same state.
 *
 * Stopping: on abort the connection is closed cleanly (1000), deliveries
 * that have not started are dropped (the server still holds them), and the
 * promise resolves once the command in progress, if any, has finished and
 * its result is spooled. A stop that cannot wait (SIGKILL, systemd's
 * TimeoutStopSec) leaves a run marker: the next start reports that command
 * as interrupted and never runs it again (recover.ts).
 */
import { stat } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { currentRoot } from '@palisade/protocol'
import { AgentError } from '../errors.js'
import { collectInventory as collectMachineInventory, type Inventory } from '../inventory/collect.js'
import { Backoff } from '../net/backoff.js'
import { readServerList, ServerRotation } from '../net/server-list.js'
import { LOCAL_POLICY_PATH } from '../policy/local-policy.js'
import { loadDevice } from '../state/device-state.js'
import { stateLayout, type StateLayout } from '../state/layout.js'
import { AGENT_VERSION } from './agent-version.js'
import { DeviceAgent } from './device-agent.js'
import { runSession } from './gateway-session.js'
import { lineLogger, type AgentLogger } from './logger.js'

/** Options of runAgent. Only stateDir is required. */
export interface RunAgentOptions {
  readonly stateDir: string
  /** The machine owner's policy file; default /etc/palisade/agent-policy.json (missing = defaults). */
  readonly policyPath?: string | undefined
  /** Default: one line per event on stderr. */
  readonly logger?: AgentLogger | undefined
  /** Abort to stop the agent; runAgent then resolves. */
  readonly signal?: AbortSignal | undefined
  /** How often inventory is re-collected (sent only when it changed), and the liveness ping; default 600000 (10 min). */
  readonly inventoryIntervalMs?: number | undefined
  /** Reconnect delays; defaults baseMs 1000, maxMs 120000, resetAfterMs 60000. */
  readonly backoff?: Partial<{ baseMs: number; maxMs: number; resetAfterMs: number; random: () => number }> | undefined
  /** Time allowed for connect + challenge + welcome; default 15000. */
  readonly handshakeTimeoutMs?: number | undefined
  /** Replaces the inventory collector (tests, or a machine where collection must be limited). */
  readonly collectInventory?: (() => Promise<Inventory>) | undefined
  /** How often checkpoint freshness is judged (AGENT_CHECKPOINT_STALE); default 60000. */
  readonly stalenessCheckMs?: number | undefined
  /** Milliseconds since the epoch, for freshness only (tests move it forward); default Date.now. */
  readonly clock?: (() => number) | undefined
  /**
   * The server base URLs to connect to, in order (the agent moves to the
   * next when a connection ends); default device.json's server, then
   * servers.json's (net/server-list.ts).
   */
  readonly servers?: readonly string[] | undefined
  /** Monitor delivery: per-request timeout and retry delays; defaults 10 s, 1 s doubling to 10 min. */
  readonly monitors?: { readonly timeoutMs?: number; readonly retry?: { readonly baseMs?: number; readonly maxMs?: number } } | undefined
}

/** Defaults, exported so the documentation and the unit agree. */
export const RUN_AGENT_DEFAULTS = Object.freeze({
  inventoryIntervalMs: 10 * 60 * 1000,
  stalenessCheckMs: 60_000,
  backoff: Object.freeze({ baseMs: 1000, maxMs: 120_000, resetAfterMs: 60_000 }),
  handshakeTimeoutMs: 15_000,
})

/**
 * Runs until `signal` aborts. Rejects only at start (AGENT_NOT_ENROLLED,
 * AGENT_STATE_INVALID, AGENT_ARG_INVALID, file errors); once running, every
 * failure is logged and retried.
 *
 * @example
 * const ac = new AbortController()
 * process.once('SIGTERM', () => ac.abort())
 * await runAgent({ stateDir: '/var/lib/palisade-agent', signal: ac.signal })
 */
export async function runAgent(opts: RunAgentOptions): Promise<void> {
  const interval = opts.inventoryIntervalMs ?? RUN_AGENT_DEFAULTS.inventoryIntervalMs
  const handshakeTimeoutMs = opts.handshakeTimeoutMs ?? RUN_AGENT_DEFAULTS.handshakeTimeoutMs
  const stalenessCheckMs = opts.stalenessCheckMs ?? RUN_AGENT_DEFAULTS.stalenessCheckMs
  if (!Number.isSafeInteger(stalenessCheckMs) || stalenessCheckMs < 10 || stalenessCheckMs > 0x7fffffff) {
    throw new AgentError('AGENT_ARG_INVALID', 'stalenessCheckMs must be an integer from 10 to 2147483647')
  }
  if (!Number.isSafeInteger(interval) || interval < 100 || interval > 0x7fffffff) {
    throw new AgentError('AGENT_ARG_INVALID', 'inventoryIntervalMs must be an integer from 100 to 2147483647')
  }
  if (!Number.isSafeInteger(handshakeTimeoutMs) || handshakeTimeoutMs < 100 || handshakeTimeoutMs > 600_000) {
    throw new AgentError('AGENT_ARG_INVALID', 'handshakeTimeoutMs must be an integer from 100 to 600000')
  }
  const backoff = new Backoff({ ...RUN_AGENT_DEFAULTS.backoff, ...opts.backoff })
  const logger = opts.logger ?? lineLogger((line) => void process.stderr.write(line))
  const signal = opts.signal ?? new AbortController().signal
  const layout = stateLayout(opts.stateDir)
  await requirePrivateDir(layout)
  const device = await loadDevice(layout)
  const agent = await DeviceAgent.open(device, {
    policyPath: opts.policyPath ?? LOCAL_POLICY_PATH,
    logger,
    collectInventory: opts.collectInventory ?? (() => collectMachineInventory()),
    clock: opts.clock,
    monitors: opts.monitors,
  })
  const rotation = new ServerRotation(opts.servers ?? (await readServerList(layout.dir, device.record.server)))
  logger.log('info', 'agent started', {
    deviceId: device.record.deviceId,
    org: device.record.org,
    server: rotation.currentServer(),
    ...(rotation.servers.length > 1 ? { servers: rotation.servers.length } : {}),
    rootVersion: currentRoot(device.trust).root.version,
    checkpointSize: device.trust.checkpoint?.size ?? 0,
    spooled: agent.spooled,
    version: AGENT_VERSION,
  })
  const tick = setInterval(() => agent.tick(), interval)
  const freshness = setInterval(() => void agent.checkStaleness().catch(() => undefined), stalenessCheckMs)
  void agent.checkStaleness().catch(() => undefined)
  try {
    while (!signal.aborted) {
      const url = rotation.current()
      const upMs = await runSession(agent, { url, signal, logger, handshakeTimeoutMs, userAgent: `palisade-agent/${AGENT_VERSION}` })
      backoff.connectionEnded(upMs)
      if (signal.aborted) break
      if (rotation.servers.length > 1) rotation.next()
      const delay = backoff.next()
      logger.log('info', 'reconnecting', { inMs: delay, attempt: backoff.attempt, ...(rotation.servers.length > 1 ? { server: rotation.currentServer() } : {}) })
      await sleep(delay, undefined, { signal }).catch(() => undefined)
    }
  } finally {
    clearInterval(tick)
    clearInterval(freshness)
    agent.stop()
    await agent.idle()
    logger.log('info', 'agent stopped', { spooled: agent.spooled })
  }
}

/** The state directory must not be writable by others: they could rewrite what the device trusts. */
async function requirePrivateDir(layout: StateLayout): Promise<void> {
  let st
  try {
    st = await stat(layout.dir)
  } catch (e) {
    throw new AgentError('AGENT_NOT_ENROLLED', `no enrolled device in ${layout.dir}: ${(e as Error).message}`, { cause: e, details: { path: layout.dir } })
  }
  if (!st.isDirectory()) throw new AgentError('AGENT_STATE_INVALID', `${layout.dir} is not a directory`)
  if ((st.mode & 0o022) !== 0) {
    throw new AgentError('AGENT_STATE_INVALID', `${layout.dir} is writable by other users (mode ${(st.mode & 0o777).toString(8)}); run chmod 700 on it`, {
      details: { path: layout.dir },
    })
  }
}
