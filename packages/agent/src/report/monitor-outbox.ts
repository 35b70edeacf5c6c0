/**
 * Reports on their way to the org's monitors (the root's `monitors`): the
 * path for rejections and alerts that does not need an honest server
 * (DESIGN.md G6). Each signed rejection or alert is written to one durable
 * outbox per monitor and POSTed from there (net/post-report.ts) until the
 * monitor answers 2xx.
 *
 * Layout: `<stateDir>/monitor-outbox/<first 16 hex of SHA-256(url)>/<seq, 12 digits>.json`,
 * each file the exact request body `{ origin, deviceId, envelope }`.
 *
 * Guarantees:
 * - `add` resolves once the report is durably in every current monitor's
 *   outbox; sending happens in the background and never blocks the caller
 *   (commands, the gateway session);
 * - reports go only to the URLs of the root in force (`setMonitors`); the
 *   server cannot add one, and an outbox whose monitor left the root is
 *   kept on disk but no longer sent;
 * - one request at a time per monitor, oldest first, each with a timeout;
 *   failures are retried with exponential backoff and full jitter
 *   (net/backoff.ts); an entry is deleted only after a 2xx;
 * - bounded: at most `maxEntries` per monitor; beyond, the oldest are
 *   dropped and the count is logged (a hostile server that makes the agent
 *   reject garbage forever cannot fill the disk).
 *
 * Trusts: the root in force (for the URLs) and the local filesystem.
 */
import { createHash } from 'node:crypto'
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Backoff } from '../net/backoff.js'
import { postReport, type PostOutcome } from '../net/post-report.js'
import type { AgentLogger } from '../runtime/logger.js'
import { writeFileAtomic } from '../state/atomic-file.js'

/** Tuning; every field has a default. */
export interface MonitorOutboxOptions {
  readonly logger: AgentLogger
  /** Reports kept per monitor (default 1000). */
  readonly maxEntries?: number
  /** Per-request timeout (default 10 s). */
  readonly timeoutMs?: number
  /** Retry delays (default 1 s doubling to 10 min, full jitter). */
  readonly retry?: { readonly baseMs?: number; readonly maxMs?: number } | undefined
  /** Replaces the HTTP call (never in production). */
  readonly post?: (url: string, body: string, opts: { timeoutMs: number; signal: AbortSignal }) => Promise<PostOutcome>
}

/** Largest request body a monitor is sent (docs/WIRE.md). */
export const MONITOR_BODY_MAX_BYTES = 64 * 1024
export const MONITOR_OUTBOX_DEFAULTS = Object.freeze({ maxEntries: 1000, timeoutMs: 10_000, baseMs: 1000, maxMs: 600_000 })

const ENTRY_RE = /^(\d{12})\.json$/

interface Monitor {
  readonly url: string
  readonly dir: string
  readonly backoff: Backoff
  entries: string[]
  nextSeq: number
  running: boolean
  active: boolean
  dropped: number
}

/** The outboxes of one state directory. */
export class MonitorOutbox {
  readonly #root: string
  readonly #opts: Required<Omit<MonitorOutboxOptions, 'retry' | 'post'>> & { readonly baseMs: number; readonly maxMs: number }
  readonly #post: NonNullable<MonitorOutboxOptions['post']>
  readonly #monitors = new Map<string, Monitor>()
  readonly #stop = new AbortController()
  readonly #workers = new Set<Promise<void>>()

  constructor(root: string, opts: MonitorOutboxOptions) {
    this.#root = root
    this.#opts = {
      logger: opts.logger,
      maxEntries: opts.maxEntries ?? MONITOR_OUTBOX_DEFAULTS.maxEntries,
      timeoutMs: opts.timeoutMs ?? MONITOR_OUTBOX_DEFAULTS.timeoutMs,
      baseMs: opts.retry?.baseMs ?? MONITOR_OUTBOX_DEFAULTS.baseMs,
      maxMs: opts.retry?.maxMs ?? MONITOR_OUTBOX_DEFAULTS.maxMs,
    }
    this.#post = opts.post ?? postReport
  }

  /** Reports waiting, over the current monitors. */
  get pending(): number {
    let n = 0
    for (const m of this.#monitors.values()) if (m.active) n += m.entries.length
    return n
  }

  /**
   * Makes `urls` (the root in force's `monitors`) the monitors reports go
   * to, opening their outboxes and resuming what a previous run left.
   *
   * @example
   * await outbox.setMonitors(currentRoot(trust).root.monitors)
   */
  async setMonitors(urls: readonly string[]): Promise<void> {
    const wanted = new Set(urls)
    for (const m of this.#monitors.values()) m.active = wanted.has(m.url)
    for (const url of urls) {
      if (this.#monitors.has(url)) continue
      const dir = join(this.#root, createHash('sha256').update(url).digest('hex').slice(0, 16))
      await mkdir(dir, { recursive: true, mode: 0o700 })
      const names: string[] = []
      for (const name of await readdir(dir)) {
        if (name.startsWith('.') && name.endsWith('.tmp')) await unlink(join(dir, name)).catch(() => undefined)
        else if (ENTRY_RE.test(name)) names.push(name)
      }
      names.sort()
      const last = names[names.length - 1]
      this.#monitors.set(url, {
        url,
        dir,
        backoff: new Backoff({ baseMs: this.#opts.baseMs, maxMs: this.#opts.maxMs, resetAfterMs: 0 }),
        entries: names,
        nextSeq: last === undefined ? 1 : Number(ENTRY_RE.exec(last)![1]) + 1,
        running: false,
        active: true,
        dropped: 0,
      })
    }
    for (const m of this.#monitors.values()) if (m.active) this.#kick(m)
  }

  /**
   * Keeps one signed report for every current monitor and starts sending it.
   *
   * @example
   * await outbox.add({ origin: root.log.origin, deviceId, envelope })
   */
  async add(body: { readonly origin: string; readonly deviceId: string; readonly envelope: string }): Promise<void> {
    const text = JSON.stringify({ origin: body.origin, deviceId: body.deviceId, envelope: body.envelope })
    if (Buffer.byteLength(text) > MONITOR_BODY_MAX_BYTES) {
      this.#opts.logger.log('warn', 'a report is too large for the monitors; it is kept locally only', { bytes: Buffer.byteLength(text) })
      return
    }
    for (const m of this.#monitors.values()) {
      if (!m.active) continue
      try {
        const name = `${String(m.nextSeq++).padStart(12, '0')}.json`
        await writeFileAtomic(join(m.dir, name), text)
        m.entries.push(name)
        await this.#bound(m)
      } catch (e) {
        this.#opts.logger.log('error', 'cannot keep a report for a monitor', { monitor: m.url, error: (e as Error).message })
      }
      this.#kick(m)
    }
  }

  /** Stops sending (in-flight requests are aborted); what is unsent stays on disk for the next run. */
  async stop(): Promise<void> {
    this.#stop.abort()
    await Promise.all([...this.#workers])
  }

  async #bound(m: Monitor): Promise<void> {
    let dropped = 0
    while (m.entries.length > this.#opts.maxEntries) {
      const name = m.entries.shift()!
      await unlink(join(m.dir, name)).catch(() => undefined)
      dropped++
    }
    if (dropped > 0) {
      m.dropped += dropped
      this.#opts.logger.log('warn', 'a monitor outbox is full; dropped the oldest reports', { monitor: m.url, dropped, droppedTotal: m.dropped })
    }
  }

  #kick(m: Monitor): void {
    if (m.running || !m.active || m.entries.length === 0 || this.#stop.signal.aborted) return
    m.running = true
    const worker = this.#drain(m).finally(() => {
      m.running = false
      this.#workers.delete(worker)
      // an add() may have come in as the loop ended
      this.#kick(m)
    })
    this.#workers.add(worker)
  }

  async #drain(m: Monitor): Promise<void> {
    const signal = this.#stop.signal
    const { logger, timeoutMs } = this.#opts
    while (m.active && !signal.aborted && m.entries.length > 0) {
      const name = m.entries[0]!
      let body: string
      try {
        body = await readFile(join(m.dir, name), 'utf8')
      } catch (e) {
        logger.log('warn', 'dropping an unreadable monitor outbox entry', { monitor: m.url, entry: name, error: (e as Error).message })
        if (m.entries[0] === name) m.entries.shift()
        continue
      }
      const outcome = await this.#post(m.url, body, { timeoutMs, signal })
      if (signal.aborted) return
      if (outcome.ok) {
        m.backoff.reset()
        if (m.entries[0] === name) m.entries.shift()
        await unlink(join(m.dir, name)).catch(() => undefined)
        logger.log('info', 'a monitor received a report', { monitor: m.url, status: outcome.status, left: m.entries.length })
        continue
      }
      const delayMs = m.backoff.next()
      logger.log('warn', 'a monitor did not take a report; retrying', { monitor: m.url, reason: outcome.reason, inMs: delayMs, waiting: m.entries.length })
      await sleep(delayMs, undefined, { signal }).catch(() => undefined)
    }
  }
}
