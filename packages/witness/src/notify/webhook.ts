/**
 * The optional webhook: one JSON POST per event (a checkpoint cosigned, a
 * request refused, a newer org root verified, a device report received, a
 * log's report store full),
 * so an org hears of every new log entry (a cosigned event carries the old
 * and new sizes: entries oldSize..size-1 are new), every suspicious request
 * and every rejection a device reported, whoever caused it.
 *
 * Guarantees: `notify` never blocks and never throws; events are delivered
 * one at a time, each tried up to `attempts` times with exponential backoff
 * on network errors, timeouts, 408, 429 and 5xx. Three bounded queues, so
 * that anyone who can cause a refusal or post a report (no signature is
 * needed for either) cannot push a log event out or hold it back:
 * - log events: cosigned, root verified, store full (in order, at most
 *   `maxQueue`; beyond, the oldest are dropped and counted: only the log's
 *   and the admins' signed requests make them) always go first;
 * - refusal events next (in order, at most `maxRefusalQueue`; beyond, they
 *   become counts per code and origin, the unsigned ones first, sent as one
 *   `checkpoint.refusals-coalesced` event: see refusal-queue.ts; every
 *   refusal stays in refusals.jsonl);
 * - report events last (in order, at most `maxReportQueue`; beyond, newer
 *   report events are coalesced into a count that is logged: the reports
 *   themselves stay stored and readable at GET …/reports). `close` stops at once: queued events are dropped (the log says
 * how many). Events carry no secrets; a cosigned event carries the cosigned
 * note, so the receiver can check it came from this witness.
 *
 * Trusts: nothing from the receiver beyond its status code.
 */
import type { FastifyBaseLogger } from 'fastify'
import { WitnessError } from '../errors.js'
import { RefusalQueue, type RefusalsCoalescedEvent } from './refusal-queue.js'

export type { CoalescedCount, RefusalsCoalescedEvent } from './refusal-queue.js'

/** A cosigned checkpoint. */
export interface CosignedEvent {
  readonly type: 'checkpoint.cosigned'
  readonly witness: string
  readonly origin: string
  readonly oldSize: number
  readonly size: number
  readonly rootHash: string
  readonly note: string
  readonly time: string
}

/** A refused add-checkpoint request. */
export interface RefusedEvent {
  readonly type: 'checkpoint.refused'
  readonly witness: string
  readonly code: string
  readonly status: number
  /** The client's address. */
  readonly ip: string
  readonly origin?: string
  readonly oldSize?: number
  readonly size?: number
  readonly storedSize?: number
  /** True when the checkpoint carried a valid log signature (the refusal is evidence); false for requests anyone could send. */
  readonly authenticated: boolean
  readonly time: string
}

/** A newer org root verified through POST /add-root. */
export interface RootVerifiedEvent {
  readonly type: 'root.verified'
  readonly witness: string
  readonly origin: string
  readonly version: number
  readonly fingerprint: string
  readonly time: string
}

/** A device report stored through POST /palisade/v1/reports (its device signature unchecked). */
export interface ReportEvent {
  readonly type: 'report.received'
  readonly witness: string
  readonly origin: string
  readonly seq: number
  readonly deviceId: string
  readonly kind: 'rejection' | 'alert'
  /** The code the device reported, if any. */
  readonly code?: string
  /** The device-signed envelope, JSON text: the receiver can check it with the device key. */
  readonly envelope: string
  readonly time: string
}

/**
 * The reports of a log reached their byte budget: new reports of that log
 * are refused (507 WIT_REPORT_STORE_FULL) until the operator prunes. Sent
 * once per log per run of the witness (a prune needs a restart, which
 * starts a new episode).
 */
export interface ReportsStoreFullEvent {
  readonly type: 'reports.store-full'
  readonly witness: string
  readonly origin: string
  /** Bytes the log's reports take. */
  readonly bytes: number
  /** The budget, in bytes. */
  readonly budget: number
  /** The seq of the last report stored. */
  readonly lastSeq: number
  readonly time: string
}

export type WitnessEvent = CosignedEvent | RefusedEvent | RootVerifiedEvent | ReportEvent | ReportsStoreFullEvent

/** What the webhook delivers: the events notified, and the counts of refusals coalesced. */
export type DeliveredEvent = WitnessEvent | RefusalsCoalescedEvent

/** Webhook settings; only `url` is required. */
export interface WebhookOptions {
  readonly url: string
  /** Tries per event (default 5). */
  readonly attempts?: number
  /** First retry delay; doubles each time (default 500 ms). */
  readonly baseDelayMs?: number
  /** Per attempt (default 5 s). */
  readonly timeoutMs?: number
  /** Cosigned, root and store-full events waiting at most (default 1000). */
  readonly maxQueue?: number
  /** Refusal events waiting at most before they are coalesced into counts (default 1000). */
  readonly maxRefusalQueue?: number
  /** Report events waiting at most (default 100). */
  readonly maxReportQueue?: number
}

/**
 * Checks a webhook URL: http or https, no credentials in it (they would be
 * logged). WIT_CONFIG otherwise.
 */
export function parseWebhookUrl(url: string): string {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new WitnessError('WIT_CONFIG', 'the webhook is not a URL')
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new WitnessError('WIT_CONFIG', 'the webhook must be an http(s) URL')
  if (u.username !== '' || u.password !== '') throw new WitnessError('WIT_CONFIG', 'the webhook URL must not carry credentials')
  return u.href
}

/** Delivers witness events to one URL, in the background. */
export class Webhook {
  readonly #url: string
  readonly #log: FastifyBaseLogger
  readonly #attempts: number
  readonly #baseDelayMs: number
  readonly #timeoutMs: number
  readonly #maxQueue: number
  readonly #maxReportQueue: number
  readonly #queue: WitnessEvent[] = []
  readonly #refusals: RefusalQueue
  readonly #reports: ReportEvent[] = []
  readonly #abort = new AbortController()
  #running = false
  #dropped = 0
  #coalesced = 0

  constructor(options: WebhookOptions, log: FastifyBaseLogger) {
    this.#url = parseWebhookUrl(options.url)
    this.#log = log
    this.#attempts = Math.max(1, options.attempts ?? 5)
    this.#baseDelayMs = options.baseDelayMs ?? 500
    this.#timeoutMs = options.timeoutMs ?? 5000
    this.#maxQueue = Math.max(1, options.maxQueue ?? 1000)
    this.#maxReportQueue = Math.max(1, options.maxReportQueue ?? 100)
    this.#refusals = new RefusalQueue(options.maxRefusalQueue ?? 1000)
  }

  /** Queues an event; returns at once. */
  notify(event: WitnessEvent): void {
    if (this.#abort.signal.aborted) return
    if (event.type === 'report.received') {
      if (this.#reports.length >= this.#maxReportQueue) {
        this.#coalesced++
        if (this.#coalesced === 1 || this.#coalesced % 100 === 0) {
          this.#log.warn({ coalesced: this.#coalesced, origin: event.origin, seq: event.seq }, 'webhook report queue full: report events coalesced (the reports are stored)')
        }
      } else {
        this.#reports.push(event)
      }
      if (!this.#running) void this.#drain()
      return
    }
    if (event.type === 'checkpoint.refused') {
      if (this.#refusals.push(event)) {
        const n = this.#refusals.coalesced
        if (n === 1 || n % 100 === 0) this.#log.warn({ coalesced: n, code: event.code }, 'webhook refusal queue full: refusal events coalesced into counts')
      }
      if (!this.#running) void this.#drain()
      return
    }
    if (this.#queue.length >= this.#maxQueue) {
      this.#queue.shift()
      this.#dropped++
      if (this.#dropped === 1 || this.#dropped % 100 === 0) this.#log.warn({ dropped: this.#dropped }, 'webhook queue full: dropping oldest events')
    }
    this.#queue.push(event)
    if (!this.#running) void this.#drain()
  }

  /** Stops delivering; events still queued are dropped. */
  close(): void {
    const undelivered = this.#queue.length + this.#reports.length + this.#refusals.clear()
    if (undelivered > 0) this.#log.warn({ undelivered }, 'webhook closed with events undelivered')
    this.#queue.length = 0
    this.#reports.length = 0
    this.#abort.abort()
  }

  async #drain(): Promise<void> {
    this.#running = true
    try {
      // log events first: a flood of refusals or reports must not delay (or evict) them
      for (let event = this.#next(); event !== undefined; event = this.#next()) {
        await this.#deliver(event)
      }
    } finally {
      this.#running = false
    }
  }

  #next(): DeliveredEvent | undefined {
    return this.#queue.shift() ?? this.#refusals.shift() ?? this.#reports.shift()
  }

  async #deliver(event: DeliveredEvent): Promise<void> {
    const body = JSON.stringify(event)
    for (let attempt = 1; attempt <= this.#attempts; attempt++) {
      if (this.#abort.signal.aborted) return
      let why: string
      try {
        const res = await fetch(this.#url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          redirect: 'error',
          signal: AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#timeoutMs)]),
        })
        await res.body?.cancel().catch(() => undefined)
        if (res.ok) return
        why = `status ${res.status}`
        const retry = res.status === 408 || res.status === 429 || res.status >= 500
        if (!retry) break
      } catch (e) {
        if (this.#abort.signal.aborted) return
        why = (e as Error).message
      }
      if (attempt < this.#attempts) {
        this.#log.debug({ type: event.type, attempt, why }, 'webhook delivery failed, retrying')
        await sleep(this.#baseDelayMs * 2 ** (attempt - 1), this.#abort.signal)
      } else {
        this.#log.warn({ type: event.type, attempts: attempt, why }, 'webhook delivery failed, giving up')
        return
      }
    }
    this.#log.warn({ type: event.type }, 'webhook refused the event, not retrying')
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
    function done(): void {
      clearTimeout(t)
      signal.removeEventListener('abort', done)
      resolve()
    }
  })
}
