/**
 * Reports on their way to the org's monitors (the root's `monitors`): the
 * path for rejections and alerts that does not need an honest server
 * (DESIGN.md G6). Each signed rejection or alert is written to one durable
 * outbox per monitor and POSTed from there (net/post-report.ts) until the
 * monitor answers 2xx.
 *
 * Layout: `<stateDir>/monitor-outbox/<first 16 hex of SHA-256(url)>/<seq, 12 digits>.<c|o>.<code>.<key>.json`
 * (`c` a command rejection, `o` anything else; `key` 16 hex of the repeat
 * key), each file the exact request body `{ origin, deviceId, envelope }`.
 * Files named `<seq>.json` (older agents) are read as `o` reports.
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
 * - bounded, keeping the FIRST evidence: a breached server that makes the
 *   agent reject garbage while a monitor is slow must not push the report
 *   that matters (a malicious command refused) out of the queue. So nothing
 *   queued is ever evicted; a new report is merged or refused instead:
 *   - a repeat of a queued one (same kind, code, command and message) is
 *     merged into it as a count (logged); the first copy is the evidence;
 *   - command rejections have their own capacity (`commandReserve`), which
 *     other reports cannot use up; only rejections of a delivery whose
 *     envelope parsed as a command envelope count as such (any code but
 *     UNSIGNED_DELIVERY_CODES): a malformed delivery carries a command id
 *     the server chose, so a breached server could mint those at will, and
 *     they are capped per code like other reports. (A server can still
 *     send a well-formed command envelope without a valid admin signature;
 *     each such rejection names another id, so the reserve bounds, but does
 *     not stop, that; repeats of one id merge.)
 *   - other reports are capped per code (`perCodeMax`) and in all
 *     (`maxEntries`); beyond, the newer one is not queued (it stays in the
 *     local rejection/alert log) and the drop is logged.
 *   The class is kept in the file name, so a restart keeps the bounds.
 *
 * Trusts: the root in force (for the URLs) and the local filesystem.
 */
import { createHash } from 'node:crypto'
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { isProtocolError, openDeviceReport } from '@palisade/protocol'
import { Backoff } from '../net/backoff.js'
import { postReport, type PostOutcome } from '../net/post-report.js'
import type { AgentLogger } from '../runtime/logger.js'
import { writeFileAtomic } from '../state/atomic-file.js'

/** Tuning; every field has a default. */
export interface MonitorOutboxOptions {
  readonly logger: AgentLogger
  /** Reports other than command rejections kept per monitor (default 1000). */
  readonly maxEntries?: number
  /** Command rejections kept per monitor, on top of maxEntries (default 1000). */
  readonly commandReserve?: number
  /** Distinct reports of one code (other than command rejections) kept per monitor (default 20). */
  readonly perCodeMax?: number
  /** Per-request timeout (default 10 s). */
  readonly timeoutMs?: number
  /** Retry delays (default 1 s doubling to 10 min, full jitter). */
  readonly retry?: { readonly baseMs?: number; readonly maxMs?: number } | undefined
  /** Replaces the HTTP call (never in production). */
  readonly post?: (url: string, body: string, opts: { timeoutMs: number; signal: AbortSignal }) => Promise<PostOutcome>
}

/** Largest request body a monitor is sent (docs/WIRE.md). */
export const MONITOR_BODY_MAX_BYTES = 64 * 1024
export const MONITOR_OUTBOX_DEFAULTS = Object.freeze({ maxEntries: 1000, commandReserve: 1000, perCodeMax: 20, timeoutMs: 10_000, baseMs: 1000, maxMs: 600_000 })

const ENTRY_RE = /^(\d{12})(?:\.([co])\.([A-Za-z0-9_]{1,64})\.([0-9a-f]{16}))?\.json$/

/** One queued report, as its file name describes it. */
interface Entry {
  readonly name: string
  /** A rejection of a command (reserved capacity, never dropped). */
  readonly command: boolean
  readonly code: string
  /** Repeat key: equal keys are merged. */
  readonly key: string
  /** Later copies merged into this one. */
  merged: number
}

interface Monitor {
  readonly url: string
  readonly dir: string
  readonly backoff: Backoff
  entries: Entry[]
  nextSeq: number
  running: boolean
  active: boolean
  dropped: number
  merged: number
}

/** The outboxes of one state directory. */
export class MonitorOutbox {
  readonly #root: string
  readonly #opts: Required<Omit<MonitorOutboxOptions, 'retry' | 'post'>> & { readonly baseMs: number; readonly maxMs: number }
  /** Drops per reason since start, for logging at milestones only. */
  readonly #drops = new Map<string, number>()
  readonly #post: NonNullable<MonitorOutboxOptions['post']>
  readonly #monitors = new Map<string, Monitor>()
  readonly #stop = new AbortController()
  readonly #workers = new Set<Promise<void>>()

  constructor(root: string, opts: MonitorOutboxOptions) {
    this.#root = root
    this.#opts = {
      logger: opts.logger,
      maxEntries: opts.maxEntries ?? MONITOR_OUTBOX_DEFAULTS.maxEntries,
      commandReserve: opts.commandReserve ?? MONITOR_OUTBOX_DEFAULTS.commandReserve,
      perCodeMax: opts.perCodeMax ?? MONITOR_OUTBOX_DEFAULTS.perCodeMax,
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
      const entries = names.map(entryOf)
      const last = names[names.length - 1]
      this.#monitors.set(url, {
        url,
        dir,
        backoff: new Backoff({ baseMs: this.#opts.baseMs, maxMs: this.#opts.maxMs, resetAfterMs: 0 }),
        entries,
        nextSeq: last === undefined ? 1 : Number(ENTRY_RE.exec(last)![1]) + 1,
        running: false,
        active: true,
        dropped: 0,
        merged: 0,
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
    const c = classify(body.envelope)
    for (const m of this.#monitors.values()) {
      if (!m.active) continue
      const same = m.entries.find((e) => e.key === c.key)
      if (same !== undefined) {
        same.merged++
        m.merged++
        if (milestone(same.merged)) {
          this.#opts.logger.log('info', 'merged a repeated report into the one queued for a monitor', { monitor: m.url, code: c.code, repeats: same.merged })
        }
        this.#kick(m)
        continue
      }
      const full = this.#full(m, c)
      if (full !== undefined) {
        m.dropped++
        const n = (this.#drops.get(`${m.url} ${full}`) ?? 0) + 1
        this.#drops.set(`${m.url} ${full}`, n)
        if (milestone(n)) {
          this.#opts.logger.log('warn', 'a monitor outbox keeps its first reports; a newer one was not queued (it is in the local log)', {
            monitor: m.url,
            code: c.code,
            reason: full,
            droppedForReason: n,
            droppedTotal: m.dropped,
          })
        }
        this.#kick(m)
        continue
      }
      try {
        const name = `${String(m.nextSeq++).padStart(12, '0')}.${c.command ? 'c' : 'o'}.${c.fileCode}.${c.key}.json`
        await writeFileAtomic(join(m.dir, name), text)
        m.entries.push({ name, command: c.command, code: c.fileCode, key: c.key, merged: 0 })
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

  /** Why `c` finds no room in `m` (a reason for the log), or undefined when it does. */
  #full(m: Monitor, c: Classified): string | undefined {
    let commands = 0
    let others = 0
    let sameCode = 0
    for (const e of m.entries) {
      if (e.command) commands++
      else {
        others++
        if (e.code === c.fileCode) sameCode++
      }
    }
    if (c.command) return commands >= this.#opts.commandReserve ? 'command rejections full' : undefined
    if (others >= this.#opts.maxEntries) return 'outbox full'
    if (sameCode >= this.#opts.perCodeMax) return 'too many reports of this code'
    return undefined
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
      const entry = m.entries[0]!
      const name = entry.name
      let body: string
      try {
        body = await readFile(join(m.dir, name), 'utf8')
      } catch (e) {
        logger.log('warn', 'dropping an unreadable monitor outbox entry', { monitor: m.url, entry: name, error: (e as Error).message })
        if (m.entries[0] === entry) m.entries.shift()
        continue
      }
      const outcome = await this.#post(m.url, body, { timeoutMs, signal })
      if (signal.aborted) return
      if (outcome.ok) {
        m.backoff.reset()
        if (m.entries[0] === entry) m.entries.shift()
        await unlink(join(m.dir, name)).catch(() => undefined)
        logger.log('info', 'a monitor received a report', { monitor: m.url, status: outcome.status, left: m.entries.length, ...(entry.merged > 0 ? { repeatsMerged: entry.merged } : {}) })
        continue
      }
      const delayMs = m.backoff.next()
      logger.log('warn', 'a monitor did not take a report; retrying', { monitor: m.url, reason: outcome.reason, inMs: delayMs, waiting: m.entries.length })
      await sleep(delayMs, undefined, { signal }).catch(() => undefined)
    }
  }
}

/**
 * Rejection codes of deliveries refused before their command envelope was
 * read (verifyCommand: parseDelivery, parseEnvelope, the payload type): the
 * command id such a rejection names came from the server, not the admins.
 */
export const UNSIGNED_DELIVERY_CODES: ReadonlySet<string> = new Set(['AGENT_MALFORMED_DELIVERY', 'PROTO_MALFORMED', 'PROTO_PAYLOAD_TYPE'])

/** What the outbox needs to know of a report to bound it. */
interface Classified {
  readonly command: boolean
  readonly code: string
  /** The code as it may appear in a file name. */
  readonly fileCode: string
  readonly key: string
}

/**
 * Classifies a report the agent itself signed. Repeats are the same kind,
 * code, command and message (a checkpoint frame refused twice for the
 * same reason); the time inside the payload is not part of the key.
 */
function classify(envelope: string): Classified {
  try {
    const r = openDeviceReport(envelope)
    const command = r.kind === 'rejection' && r.commandId !== null && !UNSIGNED_DELIVERY_CODES.has(r.code)
    const key = hex16(JSON.stringify([r.kind, r.code, r.commandId, r.message]))
    return { command, code: r.code, fileCode: fileCode(r.code), key }
  } catch (e) {
    // Not expected (the agent signed it); queue it as an unmergeable other report.
    const code = isProtocolError(e) ? e.code : 'UNPARSEABLE'
    return { command: false, code, fileCode: 'UNPARSEABLE', key: hex16(envelope) }
  }
}

function entryOf(name: string): Entry {
  const m = ENTRY_RE.exec(name)!
  // An entry from an older agent has no class: an unmergeable other report.
  if (m[2] === undefined) return { name, command: false, code: '', key: `legacy ${name}`, merged: 0 }
  return { name, command: m[2] === 'c', code: m[3]!, key: m[4]!, merged: 0 }
}

function fileCode(code: string): string {
  return code.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 64) || 'UNKNOWN'
}

function hex16(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16)
}

/** Log at 1, 10, 100, … and every 1000th: enough to see a flood without becoming one. */
function milestone(n: number): boolean {
  return n % 1000 === 0 || /^10*$/.test(String(n))
}
