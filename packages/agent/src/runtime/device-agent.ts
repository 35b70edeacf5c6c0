/**
 * The agent's engine for one enrolled device: what it does with each frame
 * of the gateway, independent of how the connection comes and goes.
 *
 * For every delivery, in arrival order and one at a time:
 *
 *   1. parseDelivery           malformed      → rejection AGENT_MALFORMED_DELIVERY
 *   2. verifyCommand           refused        → rejection with the PROTO_* code
 *   3. local policy            forbidden, or the policy file fails to load
 *                                             → rejection AGENT_POLICY_FORBIDS
 *   4. accepted: run marker, then the next trust state persisted (the
 *      "started" mark: the id is in `executed`, so no crash can make it run
 *      twice), then the script, then the signed result spooled, then the
 *      marker removed (recover.ts explains what each leftover means).
 *
 * Verification comes before the local policy (the brief listed policy
 * first): a forged delivery must be reported as what it is (PROTO_*, the
 * alert that says "the server is compromised"), not hidden behind a policy
 * refusal that fires for legitimate commands too. The policy still decides
 * before anything runs, and a refused command leaves no trace in the state.
 *
 * Every rejection is signed, appended to the local rejection log, spooled,
 * handed to the root's monitors, and only then sent (G6). Every report stays
 * in the spool until the server acks its command id, and the whole spool is
 * resent, oldest first, after each (re)connect.
 *
 * Checkpoints pushed on their own (the `checkpoint` frame) go through the
 * same queue as deliveries, so the two are handled in the server's order:
 * verifyCheckpointUpdate, then the next trust state persisted like after a
 * delivery; a refused one is a rejection without a command id. Freshness:
 * `checkStaleness` (run-agent.ts calls it on a timer) raises
 * AGENT_CHECKPOINT_STALE once the newest checkpoint the device accepted is
 * older, by witness time, than the root's checkpointMaxAgeSeconds: once per
 * episode, again every max-age while it lasts; a fresh checkpoint ends it.
 *
 * Redelivery: the server picks the deliveries to send at connect time, so a
 * command whose result is still spooled, or was acked on this very
 * connection, can arrive again although the server is only about to store
 * its result. That is answered with the result, not a PROTO_REPLAY
 * rejection, so that honest races raise no alarm. A replay of a command
 * whose result the server already had when the connection began is a real
 * replay: it is rejected and reported.
 */
import { mkdir } from 'node:fs/promises'
import {
  checkpointStaleness,
  clampTrustState,
  currentRoot,
  isProtocolError,
  nodeSign,
  parseCheckpointUpdate,
  parseDelivery,
  toBase64,
  verifyCheckpointUpdate,
  verifyCommand,
  type Alert,
  type CommandPayload,
  type KnownRejectionCode,
  type Rejection,
  type TrustState,
} from '@palisade/protocol'
import { AgentError } from '../errors.js'
import type { Inventory } from '../inventory/collect.js'
import { checkAgainstPolicy, loadLocalPolicy } from '../policy/local-policy.js'
import { safeText } from '../report/fit-output.js'
import { MonitorOutbox, type MonitorOutboxOptions } from '../report/monitor-outbox.js'
import { RejectionLog } from '../report/rejection-log.js'
import { ReportSigner } from '../report/report-signer.js'
import { Spool } from '../report/spool.js'
import { writeTrustState, type LoadedDevice } from '../state/device-state.js'
import { AGENT_VERSION } from './agent-version.js'
import { executeCommand, failedToStart } from './execute.js'
import type { GatewaySession, ReadyFrame, SessionHandlers } from './gateway-session.js'
import { InventoryReporter } from './inventory-reporter.js'
import type { AgentLogger } from './logger.js'
import { recoverInterrupted } from './recover.js'
import { ReportOutbox } from './report-outbox.js'
import { removeRunMarker, writeRunMarker } from './run-markers.js'
import { authMessage, type StateSummary } from './wire.js'

/** How a DeviceAgent reaches the machine beyond its state directory. */
export interface DeviceAgentOptions {
  readonly policyPath: string
  readonly logger: AgentLogger
  readonly collectInventory: () => Promise<Inventory>
  /** Milliseconds since the epoch, for freshness (default Date.now). */
  readonly clock?: (() => number) | undefined
  /** Monitor delivery tuning (tests). */
  readonly monitors?: Omit<MonitorOutboxOptions, 'logger'> | undefined
}

type DeliveryFrame = Extract<ReadyFrame, { type: 'delivery' }>
type CheckpointFrame = Extract<ReadyFrame, { type: 'checkpoint' }>

/** The engine; implements the gateway session's handlers. */
export class DeviceAgent implements SessionHandlers {
  readonly #device: LoadedDevice
  readonly #opts: DeviceAgentOptions
  readonly #outbox: ReportOutbox
  readonly #monitors: MonitorOutbox
  readonly #inventory: InventoryReporter
  readonly #clock: () => number
  /** Unix seconds: staleness is measured from here while no checkpoint time is known. */
  readonly #watchingSince: number
  #trust: TrustState
  #session: GatewaySession | undefined
  #queue: Promise<void> = Promise.resolve()
  #stopping = false
  /** When the current staleness episode last raised its alert (unix seconds); undefined: fresh. */
  #staleAlertedAt: number | undefined

  private constructor(device: LoadedDevice, opts: DeviceAgentOptions, parts: { spool: Spool; rejections: RejectionLog; alerts: RejectionLog; monitors: MonitorOutbox; signer: ReportSigner }) {
    this.#device = device
    this.#opts = opts
    this.#clock = opts.clock ?? Date.now
    this.#watchingSince = Math.floor(this.#clock() / 1000)
    // A cosigned-at time in the future (an older agent stored it uncapped) would silence AGENT_CHECKPOINT_STALE.
    this.#trust = clampTrustState(device.trust, this.#watchingSince)
    this.#monitors = parts.monitors
    this.#outbox = new ReportOutbox({
      ...parts,
      logger: opts.logger,
      state: () => this.summary(),
      identity: () => ({ origin: currentRoot(this.#trust).root.log.origin, deviceId: device.record.deviceId }),
    })
    this.#inventory = new InventoryReporter(opts.collectInventory, opts.logger)
  }

  /**
   * Opens the spool and rejection log and settles what a previous run left
   * unfinished (recover.ts).
   *
   * @example
   * const agent = await DeviceAgent.open(await loadDevice(layout), { policyPath, logger, collectInventory })
   */
  static async open(device: LoadedDevice, opts: DeviceAgentOptions): Promise<DeviceAgent> {
    const { layout, record } = device
    for (const dir of [layout.spoolDir, layout.runningDir, layout.monitorOutboxDir]) await mkdir(dir, { recursive: true, mode: 0o700 })
    const spool = await Spool.open(layout.spoolDir)
    const signer = new ReportSigner(device.seed, device.publicKey)
    const monitors = new MonitorOutbox(layout.monitorOutboxDir, { ...opts.monitors, logger: opts.logger })
    // Before recovery: what it reports must reach the monitors too.
    await monitors.setMonitors(currentRoot(device.trust).root.monitors)
    await recoverInterrupted({
      runningDir: layout.runningDir,
      spool,
      trust: device.trust,
      signer,
      deviceId: record.deviceId,
      org: record.org,
      logger: opts.logger,
    })
    return new DeviceAgent(device, opts, {
      spool,
      rejections: await RejectionLog.open(layout.rejectionLog),
      alerts: await RejectionLog.open(layout.alertLog),
      monitors,
      signer,
    })
  }

  /** What the device reports about its trust state. */
  summary(): StateSummary {
    return { rootVersion: currentRoot(this.#trust).root.version, checkpointSize: this.#trust.checkpoint?.size ?? 0 }
  }

  /** Reports waiting for an ack. */
  get spooled(): number {
    return this.#outbox.size
  }

  // --- SessionHandlers -------------------------------------------------

  hello(nonce: string): Record<string, unknown> {
    const { deviceId } = this.#device.record
    return {
      type: 'hello',
      deviceId,
      signature: toBase64(nodeSign(this.#device.seed, authMessage(nonce, deviceId))),
      state: this.summary(),
      agentVersion: AGENT_VERSION,
    }
  }

  ready(session: GatewaySession): void {
    this.#session = session
    this.#outbox.attach(session)
    this.#inventory.attach(session)
  }

  frame(session: GatewaySession, frame: ReadyFrame): void {
    if (frame.type === 'delivery') this.#enqueue(session, () => this.#handle(session, frame))
    else if (frame.type === 'checkpoint') this.#enqueue(session, () => this.#checkpoint(session, frame))
    else if (frame.type === 'ack') void this.#outbox.ack(session, frame.commandId)
    else this.#opts.logger.log('warn', 'the gateway reported an error', { code: frame.code, message: frame.message })
  }

  closed(session: GatewaySession): void {
    if (this.#session === session) this.#session = undefined
    this.#outbox.detach(session)
    this.#inventory.detach(session)
  }

  // --- driven by run-agent.ts ------------------------------------------

  /** The periodic tick: liveness ping, and inventory when it changed. */
  tick(): void {
    const s = this.#session
    if (s === undefined || s.closed) return
    s.heartbeat()
    void this.#inventory.report()
  }

  /** No new delivery starts after this; the one in progress finishes. */
  stop(): void {
    this.#stopping = true
  }

  /** Resolves when no delivery is in progress, then stops sending to monitors (what is unsent stays on disk). */
  async idle(): Promise<void> {
    await this.#queue
    await this.#monitors.stop()
  }

  /** Reports waiting for a monitor. */
  get monitorBacklog(): number {
    return this.#monitors.pending
  }

  /**
   * Raises AGENT_CHECKPOINT_STALE when the freshest checkpoint is too old:
   * once per episode, then again each max-age while it lasts.
   */
  async checkStaleness(): Promise<void> {
    const now = Math.floor(this.#clock() / 1000)
    const stale = checkpointStaleness(this.#trust, now, this.#watchingSince)
    if (stale === null) {
      if (this.#staleAlertedAt !== undefined) this.#opts.logger.log('info', 'a fresh checkpoint ended the staleness alert', {})
      this.#staleAlertedAt = undefined
      return
    }
    if (this.#staleAlertedAt !== undefined && now - this.#staleAlertedAt < stale.maxAge) return
    this.#staleAlertedAt = now
    const { deviceId, org } = this.#device.record
    const since = stale.cosignedAt === null ? 'since this agent started, it has seen no cosigned checkpoint' : `the newest cosigned checkpoint it has seen was cosigned at ${new Date(stale.cosignedAt * 1000).toISOString()}`
    const alert: Alert = Object.freeze({
      type: 'palisade.alert/v1',
      org,
      deviceId,
      code: 'AGENT_CHECKPOINT_STALE',
      message: `no fresh checkpoint for ${stale.ageSeconds} s (the root allows ${stale.maxAge} s): ${since}; the server may be withholding checkpoints (a hidden freeze or fork)`,
      time: now,
      details: {
        cosignedAt: stale.cosignedAt,
        maxAgeSeconds: stale.maxAge,
        ageSeconds: stale.ageSeconds,
        checkpointSize: this.#trust.checkpoint?.size ?? 0,
      },
    })
    await this.#outbox.alert(alert)
  }

  // --- deliveries ------------------------------------------------------

  #enqueue(session: GatewaySession, task: () => Promise<void>): void {
    session.queued()
    this.#queue = this.#queue
      .then(task)
      .catch((e: unknown) => this.#opts.logger.log('error', 'a frame from the gateway could not be handled', { error: (e as Error).message }))
      .finally(() => session.dequeued())
  }

  /** A checkpoint pushed on its own: verified, persisted, or reported as refused. */
  async #checkpoint(session: GatewaySession, frame: CheckpointFrame): Promise<void> {
    if (session.closed || this.#stopping) return
    let update
    try {
      update = parseCheckpointUpdate(frame.update)
    } catch (e) {
      await this.#reject(null, isProtocolError(e) ? e.code : 'PROTO_MALFORMED', `the checkpoint frame is malformed: ${(e as Error).message}`)
      return
    }
    const verdict = verifyCheckpointUpdate(this.#trust, update, Math.floor(Date.now() / 1000))
    if (!verdict.ok) {
      await this.#reject(null, verdict.code, `refused a checkpoint the server pushed: ${verdict.message}`, verdict.details)
      return
    }
    const next = verdict.nextState
    const before = this.#trust
    if (before.checkpoint?.note === next.checkpoint?.note && before.roots.length === next.roots.length) return
    try {
      await writeTrustState(this.#device.layout, next)
    } catch (e) {
      // Not adopted: the device keeps what it has on disk, and the next push or delivery tries again.
      this.#opts.logger.log('error', 'cannot persist a verified checkpoint', { error: (e as Error).message })
      return
    }
    await this.#adopt(next)
    this.#opts.logger.log('info', 'accepted a checkpoint', { size: verdict.checkpoint.size, cosignedAt: next.cosignedAt, rootVersion: currentRoot(next).root.version })
  }

  /** Makes `next` (already on disk) the trust state: monitors follow the root, freshness is re-judged. */
  async #adopt(next: TrustState): Promise<void> {
    const rootChanged = currentRoot(next) !== currentRoot(this.#trust)
    this.#trust = next
    if (rootChanged) {
      await this.#monitors.setMonitors(currentRoot(next).root.monitors).catch((e: unknown) =>
        this.#opts.logger.log('error', 'cannot open the outbox of a monitor', { error: (e as Error).message }),
      )
    }
    await this.checkStaleness().catch((e: unknown) =>
      this.#opts.logger.log('error', 'cannot raise a staleness alert', { error: (e as Error).message }),
    )
  }

  async #handle(session: GatewaySession, frame: DeliveryFrame): Promise<void> {
    const { logger } = this.#opts
    if (session.closed || this.#stopping) {
      // never started: the server still has it pending and redelivers it
      logger.log('info', 'dropping a delivery that had not started; the server will redeliver it', { commandId: frame.commandId })
      return
    }
    let delivery
    try {
      delivery = parseDelivery(frame.delivery)
    } catch (e) {
      const label = frame.commandId === null ? '' : ` the server calls ${frame.commandId}`
      // The id is the server's word, not the admins': the monitor outbox caps
      // these per code instead of giving them the command reserve (UNSIGNED_DELIVERY_CODES).
      await this.#reject(frame.commandId, 'AGENT_MALFORMED_DELIVERY', `the delivery${label} is malformed: ${(e as Error).message}`)
      return
    }
    const verdict = verifyCommand(this.#trust, delivery, { id: this.#device.record.deviceId }, Math.floor(Date.now() / 1000))
    if (!verdict.ok) {
      const id = verdict.commandId
      if (verdict.code === 'PROTO_REPLAY' && id !== undefined && this.#outbox.resultInFlight(id, session)) {
        logger.log('info', 'redelivery of a command whose result the server is receiving; answered with the result', { commandId: id })
        this.#outbox.flush()
        return
      }
      await this.#reject(id ?? frame.commandId, verdict.code, verdict.message, verdict.details)
      return
    }
    const command = verdict.command
    const refusal = await this.#policyRefusal(command)
    if (refusal !== null) {
      await this.#reject(command.id, 'AGENT_POLICY_FORBIDS', refusal)
      return
    }
    await this.#run(command, verdict.nextState, verdict.approvedBy)
  }

  async #policyRefusal(command: CommandPayload): Promise<string | null> {
    let policy
    try {
      policy = await loadLocalPolicy(this.#opts.policyPath)
    } catch (e) {
      // fail closed: a policy the owner wrote but we cannot read protects nothing if ignored
      return `the local policy cannot be loaded, so every remote command is refused: ${(e as Error).message}`
    }
    const refusal = checkAgainstPolicy(policy, { interpreter: command.interpreter, runAs: command.runAs, timeoutSeconds: command.timeoutSeconds })
    return refusal === null ? null : `the local policy of this machine refuses command ${command.id}: ${refusal.reason}`
  }

  async #run(command: CommandPayload, next: TrustState, approvedBy: readonly string[]): Promise<void> {
    const { logger } = this.#opts
    const { layout, record } = this.#device
    const startedAt = Date.now()
    const notRun = (why: string, e: unknown) => {
      logger.log('error', `${why}; not running the command`, { commandId: command.id, error: (e as Error).message })
      return failedToStart(command, record.deviceId, new AgentError('AGENT_FILE_WRITE_FAILED', `not run: ${why}: ${(e as Error).message}`), startedAt)
    }
    try {
      await writeRunMarker(layout.runningDir, { commandId: command.id, startedAt })
    } catch (e) {
      await this.#outbox.result(notRun('cannot record that it starts', e))
      return
    }
    try {
      await writeTrustState(layout, next)
    } catch (e) {
      // The write may or may not have landed; either way this process never runs it.
      this.#trust = next
      await this.#outbox.result(notRun('cannot persist the trust state', e))
      await removeRunMarker(layout.runningDir, command.id).catch(() => undefined)
      return
    }
    await this.#adopt(next)
    logger.log('info', 'running a verified command', {
      commandId: command.id,
      interpreter: command.interpreter,
      runAs: command.runAs,
      timeoutSeconds: command.timeoutSeconds,
      approvedBy: approvedBy.join(','),
    })
    const result = await executeCommand(command, record.deviceId)
    logger.log('info', 'command finished', { commandId: command.id, status: result.status, exitCode: result.exitCode, signal: result.signal })
    await this.#outbox.result(result)
    await removeRunMarker(layout.runningDir, command.id).catch((e: unknown) =>
      logger.log('warn', 'cannot remove a run marker (the next start will)', { commandId: command.id, error: (e as Error).message }),
    )
  }

  async #reject(commandId: string | null, code: KnownRejectionCode, message: string, details?: Readonly<Record<string, unknown>>): Promise<void> {
    const { deviceId, org } = this.#device.record
    const rejection: Rejection = Object.freeze({
      type: 'palisade.rejection/v1',
      org,
      deviceId,
      commandId,
      code,
      message: safeText(message, 4096),
      at: Date.now(),
    })
    await this.#outbox.rejection(rejection, details)
  }
}
