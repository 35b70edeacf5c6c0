/**
 * One agent's WebSocket, from challenge to close (WIRE.md "Agent gateway").
 *
 * Frames are handled one at a time, in arrival order, on a per-connection
 * queue that also carries the sending of deliveries, so a report and the
 * deliveries it unblocks never interleave. Everything is bounded: queued
 * frames, deliveries awaiting an answer, bytes buffered for a slow reader;
 * three refused frames close the connection (4400). Frame contents are
 * never logged: only types, codes and ids.
 *
 * Consistency proofs are built from the checkpoint size the agent last
 * reported. While deliveries built under one (checkpoint, root version) are
 * unanswered, the agent's state is either its reported one or that
 * checkpoint, so a delivery under a newer checkpoint waits until they are
 * answered (each answer carries the agent's state): a proof from the wrong
 * size would look like a fork to the device and raise a false alarm.
 *
 * Checkpoints on their own (the `checkpoint` frame): whenever the org's
 * latest cosigned checkpoint (new, or re-cosigned at the same size) is one
 * this connection has not carried yet, and no delivery is unanswered, it is
 * sent ahead of any delivery, right after welcome on connect and on every
 * publish (agent-gateway.ts). A publish that grew the log is pushed only
 * after a short hold (PUSH_HOLD_MS), and not at all to a connection that
 * meanwhile carried it in a delivery of the command it logged (dispatch,
 * {@link AgentConnection.offer}): the device then verifies it once. The
 * agent handles frames in order, so what follows is built for the state
 * that checkpoint leads to; the state used for proofs never goes back on
 * a connection (an agent's trust state only moves forward, and a report
 * racing a pushed checkpoint may carry the state from before it).
 *
 * Close codes: 4400 malformed frames, 4401 authentication failed, 4408 no
 * hello in time, 4409 replaced by a newer connection of the same device,
 * 4429 too many frames queued, 1001 server shutting down, 1011 server error.
 */
import { CLOCK_SKEW_SECONDS, formatCheckpointUpdate, fromBase64, keyId, type ProtocolErrorCode } from '@palisade/protocol'
import type { WebSocket } from 'ws'
import { commandIdOf } from '../commands/command-key.js'
import type { LatestCheckpoint } from '../commands/command-log.js'
import { rootEnvelopesAbove } from '../commands/org-roots.js'
import { OPEN_DELIVERY_STATUSES } from '../commands/command-status.js'
import { replaceDevicePackages } from '../devices/device-packages.js'
import { encodeInventory } from '../devices/inventory.js'
import { FrameError, parseClientFrame, serverFrame, type AgentState, type ClientFrame, type HelloFrame, type InventoryFrame, type ReportFrame } from './frames.js'
import type { GatewayErrorCode } from './gateway-codes.js'
import type { AuthenticatedDevice, GatewayContext, RegisteredConnection } from './gateway-context.js'
import { GroupCommitClosedError } from './group-commit.js'
import { newNonce, verifyHello } from './hello-auth.js'
import { markSent } from './batched-writes.js'
import type { PreparedCommand } from './prepared-command.js'
import { handleReport } from './report-handler.js'
import { settleDelivery } from './settle-delivery.js'

/** Refused frames tolerated per connection; the next closes it. */
export const MAX_STRIKES = 3

/** Inventories accepted in a burst (connect, then a change or two) before the rate limit applies. */
export const INVENTORY_BURST = 3

/** WebSocket close codes the gateway uses. */
export const CLOSE = Object.freeze({
  MALFORMED: 4400,
  UNAUTHENTICATED: 4401,
  HELLO_TIMEOUT: 4408,
  REPLACED: 4409,
  OVERLOADED: 4429,
  GOING_AWAY: 1001,
  INTERNAL: 1011,
})

/** A live agent connection. */
export class AgentConnection implements RegisteredConnection {
  readonly #ws: WebSocket
  readonly #ctx: GatewayContext
  readonly #nonce = newNonce()
  readonly #helloTimer: NodeJS.Timeout
  #device: AuthenticatedDevice | undefined
  #state: AgentState = { rootVersion: 0, checkpointSize: 0 }
  #strikes = 0
  #queue: Promise<void> = Promise.resolve()
  #queued = 0
  #queuedBytes = 0
  #closed = false
  #alive = true
  #pendingScheduled = false
  #pushScheduled = false
  /** Whether a delivery may be waiting here for an answer to come (held back, or no room): the next answer re-reads what is pending. */
  #deferred = false
  /** Whether a delivery here waits for a checkpoint that covers its command: the next publish re-reads what is pending. */
  #awaitingCheckpoint = false
  /** The checkpoint note this connection last carried (in a checkpoint frame or a delivery). */
  #carriedNote: string | undefined
  /** Deliveries sent and not answered: command key → the (checkpoint size, root version) they were built under. */
  readonly #inFlight = new Map<string, string>()
  /** Inventory token bucket: a burst of {@link INVENTORY_BURST}, then one per inventoryIntervalMs. */
  #inventoryTokens = INVENTORY_BURST
  #inventoryRefilledAt = Date.now()

  constructor(ws: WebSocket, ctx: GatewayContext) {
    this.#ws = ws
    this.#ctx = ctx
    ws.on('message', (data, isBinary) => this.#onMessage(data as Buffer | ArrayBuffer | Buffer[], isBinary))
    ws.on('pong', () => {
      this.#alive = true
    })
    ws.on('close', () => this.#onClose())
    this.#helloTimer = setTimeout(() => this.close(CLOSE.HELLO_TIMEOUT, 'no hello in time'), ctx.limits.helloTimeoutMs)
    ws.send(serverFrame.challenge(this.#nonce))
  }

  /** The authenticated device's id (undefined before hello). */
  get deviceId(): string | undefined {
    return this.#device?.id
  }

  /** The authenticated device's org (undefined before hello). */
  get org(): string | undefined {
    return this.#device?.org
  }

  /** Liveness sweep: false (and the socket terminated) when the last ping got no pong. */
  heartbeat(): boolean {
    if (this.#closed) return false
    if (!this.#alive) {
      this.#ctx.logger.info({ deviceId: this.#device?.id }, 'agent missed a ping; terminating')
      this.#ws.terminate()
      return false
    }
    this.#alive = false
    this.#ws.ping()
    return true
  }

  /**
   * The org published (or re-cosigned) a checkpoint: send it, and what it
   * unblocks, in order. Only a connection with a delivery waiting re-reads
   * its pending deliveries; the others just get the checkpoint (a publish
   * reaches every agent of the org, and one query per agent per publish
   * was most of a fan-out's cost). New commands arrive through dispatch.
   * `held`: the push on its own comes later (agent-gateway.ts PUSH_HOLD_MS),
   * and is skipped if a delivery carried the checkpoint meanwhile.
   */
  checkpointPublished(held = false): void {
    if (this.#deferred || this.#awaitingCheckpoint) return this.schedulePending()
    if (held) return
    if (this.#device === undefined || this.#closed || this.#pendingScheduled || this.#pushScheduled) return
    this.#pushScheduled = true
    this.#enqueue(async () => {
      this.#pushScheduled = false
      const device = this.#device
      if (device === undefined || this.#inFlight.size > 0) return
      const [checkpoint, rootVersion] = await Promise.all([this.#ctx.latest(device.org), this.#ctx.rootVersion(device.org)])
      if (checkpoint !== null && checkpoint.note !== this.#carriedNote && checkpoint.size >= this.#state.checkpointSize) {
        await this.#pushCheckpoint(device, checkpoint, rootVersion)
      }
    })
  }

  /**
   * Queues sending one freshly logged command, read once for all its
   * targets (agent-gateway.ts dispatch). The gateway offers it only when
   * this device had no older open delivery when the command was logged, so
   * sending it straight away keeps log order; whenever this connection
   * cannot send it as is (held back, expired, not yet under the latest
   * checkpoint, no room), it falls back to {@link schedulePending}.
   */
  offer(command: PreparedCommand, targetProof: string | null): void {
    if (this.#device === undefined || this.#closed) return
    this.#enqueue(() => this.#sendPrepared(command, targetProof))
  }

  /** Queues sending whatever is pending for this device (coalesced: at most one queued at a time). */
  schedulePending(): void {
    if (this.#device === undefined || this.#closed || this.#pendingScheduled) return
    this.#pendingScheduled = true
    this.#enqueue(async () => {
      this.#pendingScheduled = false
      await this.#sendPending()
    })
  }

  close(code: number, reason: string): void {
    if (this.#closed) return
    this.#closed = true
    clearTimeout(this.#helloTimer)
    this.#ws.close(code, reason)
  }

  #onMessage(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    if (this.#closed) return
    const bytes = Buffer.isBuffer(data) ? data : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)])
    const { maxQueuedFrames, maxQueuedBytes } = this.#ctx.limits
    if (this.#queued >= maxQueuedFrames || this.#queuedBytes + bytes.length > maxQueuedBytes) {
      this.close(CLOSE.OVERLOADED, 'too many frames in flight')
      return
    }
    const text = isBinary ? undefined : bytes.toString('utf8')
    this.#enqueue(() => (text === undefined ? this.#strike('SRV_GATEWAY_MALFORMED', 'binary frames are not accepted') : this.#handle(text)), bytes.length)
  }

  #enqueue(task: () => Promise<void>, bytes = 0): void {
    this.#queued++
    this.#queuedBytes += bytes
    this.#queue = this.#queue
      .then(() => (this.#closed ? undefined : task()))
      .catch((err: unknown) => {
        if (err instanceof GroupCommitClosedError) return this.close(CLOSE.GOING_AWAY, 'server shutting down')
        this.#ctx.logger.error({ err, deviceId: this.#device?.id }, 'agent connection failed')
        this.close(CLOSE.INTERNAL, 'server error')
      })
      .finally(() => {
        this.#queued--
        this.#queuedBytes -= bytes
      })
  }

  async #handle(text: string): Promise<void> {
    let frame: ClientFrame
    try {
      frame = parseClientFrame(text)
    } catch (e) {
      if (!(e instanceof FrameError)) throw e
      return this.#strike('SRV_GATEWAY_MALFORMED', e.message)
    }
    const device = this.#device
    if (device === undefined) {
      if (frame.type !== 'hello') return this.#strike('SRV_GATEWAY_UNAUTHENTICATED', 'answer the challenge with hello first')
      return this.#hello(frame)
    }
    switch (frame.type) {
      case 'hello':
        return this.#strike('SRV_GATEWAY_MALFORMED', 'already authenticated')
      case 'result':
      case 'rejection':
      case 'alert':
        return this.#report(device, frame)
      case 'inventory':
        return this.#inventory(device, frame)
    }
  }

  async #hello(frame: HelloFrame): Promise<void> {
    clearTimeout(this.#helloTimer)
    const { db } = this.#ctx
    const row = await db.selectFrom('devices').select(['id', 'org_id', 'public_key']).where('id', '=', frame.deviceId).executeTakeFirst()
    const publicKey = row === undefined ? undefined : fromBase64(row.public_key)
    // One answer for an unknown device and a bad signature.
    if (row === undefined || publicKey === undefined || !verifyHello(publicKey, this.#nonce, frame.deviceId, frame.signature)) {
      this.#ctx.logger.info({ deviceId: frame.deviceId, known: row !== undefined }, 'agent authentication failed')
      return this.close(CLOSE.UNAUTHENTICATED, 'authentication failed')
    }
    if (this.#closed) return
    this.#device = Object.freeze({ id: row.id, org: row.org_id, publicKey, keyid: keyId(publicKey) })
    this.#state = frame.state
    // Welcome (and the console's event) only once the device reads online on every node.
    const recorded = this.#ctx.register(this)
    await this.#ctx.commits.run((trx) =>
      trx
        .updateTable('devices')
        .set({
          last_seen_at: Date.now(),
          root_version: frame.state.rootVersion,
          checkpoint_size: frame.state.checkpointSize,
          agent_version: frame.agentVersion,
        })
        .where('id', '=', row.id)
        .execute(),
    )
    await recorded
    this.#ctx.logger.info({ org: row.org_id, deviceId: row.id, agentVersion: frame.agentVersion }, 'agent connected')
    this.#ctx.events.emit(row.org_id, { kind: 'device', id: row.id })
    this.#ws.send(serverFrame.welcome())
    await this.#sendPending()
  }

  async #report(device: AuthenticatedDevice, frame: ReportFrame): Promise<void> {
    const outcome = await handleReport(this.#ctx, device, frame, { inFlight: (key) => this.#inFlight.has(key) })
    if (frame.state !== null) {
      const state = frame.state
      // Never back: see the module comment on pushed checkpoints.
      this.#state = {
        rootVersion: Math.max(this.#state.rootVersion, state.rootVersion),
        checkpointSize: Math.max(this.#state.checkpointSize, state.checkpointSize),
      }
      // A stored result carried the state in its own commit (report-handler.ts).
      if (!(outcome.ack && outcome.seen === true)) await this.#ctx.commits.run((trx) =>
        trx
          .updateTable('devices')
          .set({ last_seen_at: Date.now(), root_version: state.rootVersion, checkpoint_size: state.checkpointSize })
          .where('id', '=', device.id)
          .execute(),
      )
    }
    if (outcome.ack && outcome.commandId !== null) this.#ctx.commandEvents.emit(device.org, outcome.commandId)
    if (frame.type !== 'result' || !outcome.ack) this.#ctx.events.emit(device.org, { kind: 'alert' }) // rejections and refusals may raise alerts
    if (!outcome.ack) return this.#strike(outcome.code, outcome.message)
    if (outcome.commandKey !== null) this.#inFlight.delete(outcome.commandKey)
    this.#ws.send(serverFrame.ack(outcome.commandId))
    // An answer may unblock deliveries held back for a newer checkpoint. Only
    // then: re-reading after every answer of a fan-out is one query per device.
    if (this.#deferred) await this.#sendPending()
  }

  async #inventory(device: AuthenticatedDevice, frame: InventoryFrame): Promise<void> {
    const now = Date.now()
    const interval = this.#ctx.limits.inventoryIntervalMs
    const earned = Math.floor((now - this.#inventoryRefilledAt) / interval)
    if (earned > 0) {
      this.#inventoryTokens = Math.min(INVENTORY_BURST, this.#inventoryTokens + earned)
      this.#inventoryRefilledAt += earned * interval
    }
    if (this.#inventoryTokens === 0) return this.#strike('SRV_GATEWAY_RATE_LIMITED', 'inventory sent too often')
    const stored = encodeInventory(frame.inventory)
    if (stored === undefined) return this.#strike('SRV_GATEWAY_MALFORMED', 'the inventory is larger than 1 MiB')
    this.#inventoryTokens--
    await this.#ctx.commits.run(async (trx) => {
      const set = { inventory: stored.json, inventory_digest: frame.digest, inventory_at: now, os: stored.os, last_seen_at: now }
      // Agents send their inventory on every connect. Its digest covers
      // everything but the volatile figures (free memory and disk), packages
      // included: one equal to the stored digest keeps the package rows
      // (the digest is the device's claim, as the inventory is), so a wave
      // of reconnects (a node restarting) does not rewrite every device's
      // packages; the inventory itself is still stored, for those figures.
      if (frame.digest !== null) {
        const same = await trx.updateTable('devices').set(set).where('id', '=', device.id).where('inventory_digest', '=', frame.digest).executeTakeFirst()
        if (Number(same.numUpdatedRows) > 0) return
      }
      await trx.updateTable('devices').set(set).where('id', '=', device.id).execute()
      await replaceDevicePackages(trx, device.org, device.id, stored.packages)
    })
    this.#ctx.events.emit(device.org, { kind: 'device', id: device.id })
  }

  /** Sends, in log order, every delivery of this device not yet answered and not already sent on this connection. */
  async #sendPending(): Promise<void> {
    const device = this.#device
    if (device === undefined || this.#closed) return
    this.#deferred = false
    this.#awaitingCheckpoint = false
    const [checkpoint, rootVersion] = await Promise.all([this.#ctx.latest(device.org), this.#ctx.rootVersion(device.org)])
    if (checkpoint === null) return
    if (this.#inFlight.size === 0 && checkpoint.note !== this.#carriedNote && checkpoint.size >= this.#state.checkpointSize) {
      await this.#pushCheckpoint(device, checkpoint, rootVersion)
    }
    const context = `${checkpoint.size}/${rootVersion}`
    for (const c of this.#inFlight.values()) if (c !== context) return void (this.#deferred = true) // held back: see the module comment
    const state = this.#state
    let rootUpdates: string[] | undefined
    for (;;) {
      const room = this.#ctx.limits.maxInFlight - this.#inFlight.size
      if (room <= 0) this.#deferred = true
      if (room <= 0 || this.#closed) return
      // In-flight ones are still open and come back too; they are skipped below.
      const limit = room + this.#inFlight.size
      const rows = await this.#ctx.db
        .selectFrom('deliveries as d')
        .innerJoin('commands as c', 'c.id', 'd.command_id')
        .select(['d.command_id', 'd.target_proof', 'c.log_index', 'c.envelope', 'c.not_after'])
        .where('d.device_id', '=', device.id)
        .where('d.status', 'in', OPEN_DELIVERY_STATUSES)
        .orderBy('c.log_index')
        .limit(limit)
        .execute()
      // Ones the checkpoint does not cover yet come last (log order); they
      // wait for the next publish (checkpointPublished).
      const covered = rows.filter((r) => r.log_index !== null && r.log_index < checkpoint.size)
      const waiting = covered.length < rows.length
      if (waiting) this.#awaitingCheckpoint = true
      // Past its window even for a device clock CLOCK_SKEW_SECONDS behind: the device would refuse it.
      const expiredBefore = Date.now() - CLOCK_SKEW_SECONDS * 1000
      const expired = covered.filter((r) => r.not_after < expiredBefore && !this.#inFlight.has(r.command_id))
      if (expired.length > 0) await this.#expire(expired.map((r) => r.command_id), device.id)
      const fresh = covered.filter((r) => r.not_after >= expiredBefore && !this.#inFlight.has(r.command_id))
      if (fresh.length === 0) {
        if (expired.length > 0 && rows.length === limit && !waiting) continue
        return
      }
      rootUpdates ??= await rootEnvelopesAbove(this.#ctx.db, device.org, state.rootVersion)
      for (const r of fresh) {
        if (r.log_index === null || r.envelope === null || this.#closed) continue
        const delivery = await this.#ctx.builder.build(
          { org: device.org, envelope: r.envelope, logIndex: r.log_index, targetProof: r.target_proof },
          checkpoint,
          state,
          rootUpdates,
        )
        this.#inFlight.set(r.command_id, context)
        this.#carriedNote = checkpoint.note
        await this.#send(serverFrame.delivery(commandIdOf(r.command_id), delivery))
        this.#ctx.metrics?.deliverySent()
        void this.#markSent(r.command_id, device.id)
      }
      if (rows.length < limit || waiting) return
    }
  }

  /** {@link offer}: sends a prepared command to this device, or leaves it to the general path. */
  async #sendPrepared(command: PreparedCommand, targetProof: string | null): Promise<void> {
    const device = this.#device
    if (device === undefined || this.#closed || this.#inFlight.has(command.key)) return
    const [checkpoint, rootVersion] = await Promise.all([this.#ctx.latest(device.org), this.#ctx.rootVersion(device.org)])
    const fits =
      checkpoint !== null &&
      command.logIndex < checkpoint.size &&
      command.notAfter >= Date.now() - CLOCK_SKEW_SECONDS * 1000 &&
      this.#inFlight.size < this.#ctx.limits.maxInFlight
    if (!fits) return this.#sendPending()
    // No checkpoint frame first: the delivery carries the checkpoint (with
    // the consistency proof from the device's state), so the device checks
    // it once; see the module comment.
    const context = `${checkpoint.size}/${rootVersion}`
    for (const c of this.#inFlight.values()) if (c !== context) return void (this.#deferred = true) // held back: sent by #sendPending once answered
    const frame = await command.frame(this.#ctx, checkpoint, this.#state, rootVersion, targetProof)
    if (this.#closed || this.#inFlight.has(command.key)) return
    this.#inFlight.set(command.key, context)
    this.#carriedNote = checkpoint.note
    await this.#send(frame)
    this.#ctx.metrics?.deliverySent()
    void this.#markSent(command.key, device.id)
  }

  /** Sends the org's latest checkpoint on its own, with the proof and root updates from the agent's state. */
  async #pushCheckpoint(device: AuthenticatedDevice, checkpoint: LatestCheckpoint, rootVersion: number): Promise<void> {
    const state = this.#state
    const [consistencyProof, rootUpdates] = await Promise.all([
      this.#ctx.builder.consistency(device.org, checkpoint, state),
      rootVersion > state.rootVersion ? rootEnvelopesAbove(this.#ctx.db, device.org, state.rootVersion) : Promise.resolve([]),
    ])
    if (this.#closed) return
    this.#carriedNote = checkpoint.note
    await this.#send(serverFrame.checkpoint(formatCheckpointUpdate({ note: checkpoint.note, consistencyProof, rootUpdates })))
    this.#state = { rootVersion: Math.max(state.rootVersion, rootVersion), checkpointSize: checkpoint.size }
  }

  /** Closes deliveries whose command expired before this device got it. */
  async #expire(keys: readonly string[], deviceId: string): Promise<void> {
    await this.#ctx.commits.run(async (trx, batch) => {
      for (const key of keys) await settleDelivery(trx, batch, key, deviceId, 'expired')
    })
  }

  /** Records the send (not awaited: a lost mark only costs a resend on reconnect, which the agent dedupes). */
  async #markSent(key: string, deviceId: string): Promise<void> {
    try {
      await this.#ctx.commits.run(async (_trx, batch) => markSent(batch, key, deviceId))
      this.#ctx.commandEvents.emit(key.slice(0, key.indexOf('/')), commandIdOf(key))
    } catch (err) {
      if (!(err instanceof GroupCommitClosedError)) this.#ctx.logger.warn({ err, deviceId }, 'could not record a delivery as sent')
    }
  }

  /** Sends a frame, waiting for a slow reader to drain once too much is buffered. */
  async #send(text: string): Promise<void> {
    if (this.#closed) return
    if (this.#ws.bufferedAmount < this.#ctx.limits.highWaterBytes) {
      this.#ws.send(text)
      return
    }
    await new Promise<void>((resolve) => this.#ws.send(text, () => resolve()))
  }

  async #strike(code: GatewayErrorCode | ProtocolErrorCode, message: string): Promise<void> {
    this.#strikes++
    this.#ctx.logger.debug({ deviceId: this.#device?.id, code, strikes: this.#strikes }, 'refused an agent frame')
    if (this.#closed) return
    this.#ws.send(serverFrame.error(code, message))
    if (this.#strikes >= MAX_STRIKES) this.close(CLOSE.MALFORMED, 'too many malformed frames')
  }

  #onClose(): void {
    this.#closed = true
    clearTimeout(this.#helloTimer)
    this.#ctx.unregister(this)
    const device = this.#device
    if (device !== undefined) {
      // No event here: the gateway's presence announces the end of the
      // device's connection once its session row is gone (one event, and
      // a console reloading on it reads the device offline).
      this.#ctx.commits
        .run((trx) => trx.updateTable('devices').set({ last_seen_at: Date.now() }).where('id', '=', device.id).execute())
        .catch(() => {})
    }
  }
}
