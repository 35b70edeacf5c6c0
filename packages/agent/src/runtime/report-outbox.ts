/**
 * The way out for everything the device signs: results, rejections and
 * alerts are signed, made durable, and only then sent; they stay until the
 * server acks their command id (alerts: a null id), and the whole backlog
 * goes out again, oldest first, on every (re)connect. Rejections and alerts
 * also go to every monitor the root names (report/monitor-outbox.ts), the
 * path a breached server cannot silence.
 *
 * Guarantees: a report is on disk (spool, and for a rejection also the
 * local rejection log) before it is first sent (G6: kept locally when the
 * server is unreachable); one connection never carries the same spooled
 * report twice; an ack deletes exactly one spooled report, the oldest for
 * that command id, preferring one this connection carried. When the disk
 * refuses a write, the report is still sent once (logged as not kept).
 */
import type { Alert, CommandResult, Rejection } from '@palisade/protocol'
import { safeText } from '../report/fit-output.js'
import type { MonitorOutbox } from '../report/monitor-outbox.js'
import type { RejectionLog } from '../report/rejection-log.js'
import type { ReportSigner } from '../report/report-signer.js'
import type { ReportKind, Spool } from '../report/spool.js'
import type { GatewaySession } from './gateway-session.js'
import type { AgentLogger } from './logger.js'
import type { StateSummary } from './wire.js'

/** Where an outbox keeps and sends what it signs. */
export interface ReportOutboxParts {
  readonly spool: Spool
  readonly rejections: RejectionLog
  readonly alerts: RejectionLog
  readonly monitors: MonitorOutbox
  readonly signer: ReportSigner
  readonly logger: AgentLogger
  /** The agent's trust-state summary, sent with every report. */
  readonly state: () => StateSummary
  /** The log origin of the root in force and this device's id: what a monitor needs besides the envelope. */
  readonly identity: () => { readonly origin: string; readonly deviceId: string }
}

/** Signs, keeps and sends reports over whichever session is current. */
export class ReportOutbox {
  readonly #spool: Spool
  readonly #rejections: RejectionLog
  readonly #alerts: RejectionLog
  readonly #monitors: MonitorOutbox
  readonly #signer: ReportSigner
  readonly #logger: AgentLogger
  readonly #state: () => StateSummary
  readonly #identity: ReportOutboxParts['identity']
  #session: GatewaySession | undefined
  #flushing = false
  #flushAgain = false

  constructor(parts: ReportOutboxParts) {
    this.#spool = parts.spool
    this.#rejections = parts.rejections
    this.#alerts = parts.alerts
    this.#monitors = parts.monitors
    this.#signer = parts.signer
    this.#logger = parts.logger
    this.#state = parts.state
    this.#identity = parts.identity
  }

  /** Reports waiting for an ack. */
  get size(): number {
    return this.#spool.size
  }

  /**
   * True when the server is about to get (or just got, on `session`) the
   * result of `commandId`: a redelivery of it is the server's race, not a replay.
   */
  resultInFlight(commandId: string, session: GatewaySession): boolean {
    return this.#spool.has('result', commandId) || session.acked.has(commandId)
  }

  /** A session became ready: send it the backlog. */
  attach(session: GatewaySession): void {
    this.#session = session
    this.flush()
  }

  detach(session: GatewaySession): void {
    if (this.#session === session) this.#session = undefined
  }

  /**
   * Signs and sends a result.
   *
   * @example
   * await outbox.result(await executeCommand(command, deviceId))
   */
  async result(result: CommandResult): Promise<void> {
    let envelope: string
    try {
      envelope = await this.#signer.sign(result)
    } catch (e) {
      // fitOutput makes this unreachable in practice; never lose the fact that it ran
      envelope = await this.#signer.sign({
        ...result,
        stdout: '',
        stderr: safeText(`palisade-agent: the output could not be signed (${(e as Error).message}); it was dropped\n`, 4096),
        stdoutTruncated: result.stdout !== '',
        stderrTruncated: result.stderr !== '',
      })
    }
    await this.#keepAndSend('result', result.commandId, envelope)
  }

  /**
   * Signs a rejection, appends it to the local rejection log with the
   * evidence, hands it to the monitors, and sends it.
   */
  async rejection(rejection: Rejection, details?: Readonly<Record<string, unknown>>): Promise<void> {
    const envelope = await this.#signer.sign(rejection)
    const { commandId, code, message, at } = rejection
    this.#logger.log('warn', commandId === null ? 'rejected a frame from the server' : 'rejected a delivery', { code, commandId, message: message.slice(0, 300) })
    try {
      await this.#rejections.append({ at, commandId, code, message, details, envelope })
    } catch (e) {
      this.#logger.log('error', 'cannot append to the local rejection log', { error: (e as Error).message })
    }
    await this.#toMonitors(envelope)
    await this.#keepAndSend('rejection', commandId, envelope)
  }

  /**
   * Signs an alert, appends it to the local alert log, hands it to the
   * monitors, and sends it to the server.
   *
   * @example
   * await outbox.alert({ type: 'palisade.alert/v1', org, deviceId, code: 'AGENT_CHECKPOINT_STALE', message, time, details })
   */
  async alert(alert: Alert): Promise<void> {
    const envelope = await this.#signer.sign(alert)
    const { code, message, time, details } = alert
    this.#logger.log('warn', 'raised an alert', { code, message: message.slice(0, 300) })
    try {
      await this.#alerts.append({ at: time * 1000, commandId: null, code, message, details, envelope })
    } catch (e) {
      this.#logger.log('error', 'cannot append to the local alert log', { error: (e as Error).message })
    }
    await this.#toMonitors(envelope)
    await this.#keepAndSend('alert', null, envelope)
  }

  async #toMonitors(envelope: string): Promise<void> {
    try {
      await this.#monitors.add({ ...this.#identity(), envelope })
    } catch (e) {
      this.#logger.log('error', 'cannot keep a report for the monitors', { error: (e as Error).message })
    }
  }

  /** The server stored the report for `commandId`: forget one spooled copy. */
  async ack(session: GatewaySession, commandId: string | null): Promise<void> {
    const entry = this.#spool.findForAck(commandId, (e) => session.sent.has(e.name))
    if (entry === undefined) {
      this.#logger.log('info', 'ack for a report that is not spooled', { commandId })
      return
    }
    if (entry.kind === 'result' && commandId !== null) session.acked.add(commandId)
    try {
      await this.#spool.remove(entry)
    } catch (e) {
      this.#logger.log('error', 'cannot delete an acknowledged report; it will be sent again', { commandId, error: (e as Error).message })
    }
  }

  /** Sends what the current session has not carried yet (coalesced: one flush runs at a time). */
  flush(): void {
    void this.#flushLoop()
  }

  async #keepAndSend(kind: ReportKind, commandId: string | null, envelope: string): Promise<void> {
    let kept = false
    try {
      kept = (await this.#spool.add(kind, commandId, envelope)) !== null
      if (!kept) this.#logger.log('warn', `the spool is full; sending this ${kind} without keeping it`, { commandId })
    } catch (e) {
      this.#logger.log('error', 'cannot spool a report; sending it without keeping it', { kind, commandId, error: (e as Error).message })
    }
    if (kept) this.flush()
    else await this.#session?.send({ type: kind, envelope, state: this.#state() })
  }

  async #flushLoop(): Promise<void> {
    if (this.#flushing) {
      this.#flushAgain = true
      return
    }
    this.#flushing = true
    try {
      do {
        this.#flushAgain = false
        await this.#flushOnce()
      } while (this.#flushAgain)
    } catch (e) {
      this.#logger.log('error', 'sending spooled reports failed', { error: (e as Error).message })
    } finally {
      this.#flushing = false
    }
  }

  async #flushOnce(): Promise<void> {
    const session = this.#session
    if (session === undefined) return
    for (const entry of this.#spool.entries()) {
      if (session.closed) return
      if (session.sent.has(entry.name)) continue
      const envelope = await this.#spool.read(entry)
      if (envelope === null) continue
      session.sent.add(entry.name)
      // one at a time, waiting for each write: a large backlog never sits in memory at once
      if (!(await session.send({ type: entry.kind, envelope, state: this.#state() }))) return
    }
  }
}
