/**
 * The witness's evidence routes, apart from cosigning: device reports in
 * (`POST /palisade/v1/reports`), reports out for monitors (`GET
 * /palisade/v1/reports`), and the newest checkpoint this witness cosigned
 * (`GET /palisade/v1/checkpoint`), so a monitor can compare it with what
 * the server shows (a fork needs two cosigned histories).
 *
 * Guarantees: a report is answered 202 only once it is on disk; every
 * stored report is sent to the webhook (`report.received`); per client
 * address at most `burst` reports at once and `perSecond` on average, per
 * device id and per address's distinct device ids the quotas of
 * report-quota.ts (429 with Retry-After beyond, bounded memory); reports
 * only for logs this witness witnesses (404 otherwise, and nothing is
 * written); a report that would pass the log's byte budget is refused (507
 * WIT_REPORT_STORE_FULL) rather than any stored one deleted, and the
 * webhook hears of it once per log per run (`reports.store-full`, the
 * operator's cue to prune); pages are capped.
 * Reports and checkpoints are public: they are evidence, not secrets; the
 * sender's address is kept in the file for the operator but not served.
 *
 * Trusts: logs.json for which origins exist. Nothing in a request; the
 * device signature of a report is not checked (report-body.ts says why).
 */
import type { FastifyBaseLogger } from 'fastify'
import { isWitnessError, type WitnessErrorCode } from '../errors.js'
import type { RateLimiter } from '../http/rate-limiter.js'
import type { Webhook } from '../notify/webhook.js'
import type { CheckpointStore } from '../store/checkpoint-store.js'
import type { LogRegistry } from '../store/log-registry.js'
import type { ReportLog } from '../store/report-log.js'
import { parseReportBody } from './report-body.js'
import type { ReportQuota } from './report-quota.js'

/** Most reports one GET returns. */
export const MAX_REPORTS_PAGE = 1000
/** Reports one GET returns unless `limit` says otherwise. */
export const DEFAULT_REPORTS_PAGE = 100

/** A refusal of one of these routes. */
export interface EvidenceRefusal {
  readonly ok: false
  readonly status: 400 | 404 | 429 | 507
  readonly code: WitnessErrorCode
  readonly detail: string
  /** Seconds after which a 429 may be retried. */
  readonly retryAfter?: number
}

/** Retry-After of a refusal by the per-address rate limit, in seconds. */
export const ADDRESS_RETRY_AFTER = 10

/** One report as served to monitors. */
export interface ServedReport {
  readonly seq: number
  readonly receivedAt: string
  readonly deviceId: string
  readonly envelope: string
}

/** What the intake works with. */
export interface ReportIntakeDeps {
  readonly witness: string
  readonly logs: LogRegistry
  readonly reports: ReportLog
  readonly checkpoints: CheckpointStore
  readonly limiter: RateLimiter
  readonly quota: ReportQuota
  readonly webhook: Webhook | undefined
  /** Unix milliseconds. */
  readonly now: () => number
}

export class ReportIntake {
  readonly #d: ReportIntakeDeps
  /** Origins whose full store was already announced in this run. */
  readonly #fullAnnounced = new Set<string>()

  constructor(deps: ReportIntakeDeps) {
    this.#d = deps
  }

  /**
   * Handles one report body from `ip`.
   *
   * @example
   * const r = await intake.submit(body, { ip: req.ip, log: req.log })
   */
  async submit(body: Uint8Array, facts: { readonly ip: string; readonly log: FastifyBaseLogger }): Promise<{ readonly ok: true; readonly seq: number } | EvidenceRefusal> {
    const now = this.#d.now()
    if (!this.#d.limiter.take(facts.ip, now)) return refusal(429, 'WIT_RATE_LIMITED', `too many reports from ${facts.ip}; retry later`, ADDRESS_RETRY_AFTER)
    let report
    try {
      report = parseReportBody(body)
    } catch (e) {
      if (!isWitnessError(e, 'WIT_REPORT_INVALID')) throw e
      return refusal(400, 'WIT_REPORT_INVALID', e.message)
    }
    if (!(await this.#d.logs.current()).has(report.origin)) {
      return refusal(404, 'WIT_LOG_UNKNOWN', `this witness does not witness ${JSON.stringify(report.origin)}`)
    }
    const quota = this.#d.quota.take(facts.ip, report.origin, report.deviceId, now)
    if (!quota.ok) return refusal(429, 'WIT_RATE_LIMITED', quota.detail, quota.retryAfter)
    const receivedAt = new Date(now).toISOString()
    let stored
    try {
      stored = await this.#d.reports.append({ origin: report.origin, deviceId: report.deviceId, envelope: report.envelope, source: facts.ip, receivedAt })
    } catch (e) {
      if (!isWitnessError(e, 'WIT_REPORT_STORE_FULL')) throw e
      this.#announceFull(report.origin, e.details ?? {}, receivedAt, facts.log)
      return refusal(507, 'WIT_REPORT_STORE_FULL', `the reports of ${JSON.stringify(report.origin)} reached this witness's budget; its operator must prune them`)
    }
    facts.log.warn({ origin: report.origin, seq: stored.seq, deviceId: report.deviceId, kind: report.kind, code: report.code }, 'device report received')
    this.#d.webhook?.notify({
      type: 'report.received',
      witness: this.#d.witness,
      origin: report.origin,
      seq: stored.seq,
      deviceId: report.deviceId,
      kind: report.kind,
      ...(report.code === undefined ? {} : { code: report.code }),
      envelope: report.envelope,
      time: receivedAt,
    })
    return { ok: true, seq: stored.seq }
  }

  #announceFull(origin: string, details: Readonly<Record<string, string | number>>, time: string, log: FastifyBaseLogger): void {
    if (this.#fullAnnounced.has(origin)) return
    this.#fullAnnounced.add(origin)
    const bytes = Number(details['bytes'] ?? 0)
    const lastSeq = Number(details['lastSeq'] ?? 0)
    log.error({ origin, bytes, budget: this.#d.reports.budget, lastSeq }, 'device reports store full: new reports are refused until the operator prunes (palisade witness reports prune)')
    this.#d.webhook?.notify({ type: 'reports.store-full', witness: this.#d.witness, origin, bytes, budget: this.#d.reports.budget, lastSeq, time })
  }

  /**
   * A page of the reports of `query.origin` after seq `query.after`.
   *
   * @example
   * await intake.list({ origin: 'palisade/acme', after: '0', limit: '100' })
   */
  async list(query: unknown): Promise<{ readonly ok: true; readonly origin: string; readonly reports: ServedReport[]; readonly next: number } | EvidenceRefusal> {
    const q = (typeof query === 'object' && query !== null ? query : {}) as Record<string, unknown>
    const origin = q['origin']
    if (typeof origin !== 'string' || origin === '') return refusal(400, 'WIT_QUERY_INVALID', 'origin: the log origin is required')
    const after = decimal(q['after'], 0, Number.MAX_SAFE_INTEGER)
    if (after === undefined) return refusal(400, 'WIT_QUERY_INVALID', 'after: must be a sequence number (decimal, ≥ 0)')
    const limit = decimal(q['limit'], DEFAULT_REPORTS_PAGE, MAX_REPORTS_PAGE)
    if (limit === undefined || limit < 1) return refusal(400, 'WIT_QUERY_INVALID', `limit: must be 1 to ${MAX_REPORTS_PAGE}`)
    if (!(await this.#d.logs.current()).has(origin)) return refusal(404, 'WIT_LOG_UNKNOWN', `this witness does not witness ${JSON.stringify(origin.slice(0, 256))}`)
    const page = await this.#d.reports.list(origin, after, limit)
    const reports = page.map((r) => ({ seq: r.seq, receivedAt: r.receivedAt, deviceId: r.deviceId, envelope: r.envelope }))
    return { ok: true, origin, reports, next: reports.at(-1)?.seq ?? after }
  }

  /**
   * The newest checkpoint this witness cosigned for `query.origin`: the
   * note with the log's signature and this witness's cosignature.
   *
   * @example
   * await intake.checkpoint({ origin: 'palisade/acme' })
   */
  async checkpoint(query: unknown): Promise<{ readonly ok: true; readonly note: string } | EvidenceRefusal> {
    const origin = (typeof query === 'object' && query !== null ? (query as Record<string, unknown>)['origin'] : undefined)
    if (typeof origin !== 'string' || origin === '') return refusal(400, 'WIT_QUERY_INVALID', 'origin: the log origin is required')
    if (!(await this.#d.logs.current()).has(origin)) return refusal(404, 'WIT_LOG_UNKNOWN', `this witness does not witness ${JSON.stringify(origin.slice(0, 256))}`)
    const head = await this.#d.checkpoints.get(origin)
    if (head === undefined) return refusal(404, 'WIT_NO_CHECKPOINT', `this witness has cosigned no checkpoint of ${JSON.stringify(origin)} yet`)
    return { ok: true, note: head.note }
  }
}

function refusal(status: EvidenceRefusal['status'], code: WitnessErrorCode, detail: string, retryAfter?: number): EvidenceRefusal {
  return { ok: false, status, code, detail, ...(retryAfter === undefined ? {} : { retryAfter }) }
}

/** A canonical decimal query value in [0, max], `fallback` when absent; undefined when invalid. */
function decimal(v: unknown, fallback: number, max: number): number | undefined {
  if (v === undefined) return fallback
  if (typeof v !== 'string' || !/^(0|[1-9][0-9]{0,15})$/.test(v)) return undefined
  const n = Number(v)
  return n <= max ? n : undefined
}
