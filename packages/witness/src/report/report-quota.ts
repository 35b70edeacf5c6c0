/**
 * Quotas on device reports beyond the per-address rate limit, so that one
 * sender cannot fill a log's report budget quickly with forgeries (the
 * witness cannot check device signatures):
 *
 * - per (origin, device id): a token bucket, by default bursts of 20 and 60
 *   an hour; a genuine device reports a handful of rejections, a flood
 *   under one id is cut short;
 * - per source address: at most `devicesPerAddress` distinct (origin,
 *   device id) pairs first seen within the last hour, since a forger
 *   invents ids to get fresh buckets.
 *
 * Guarantees: memory is bounded: at most `maxKeys` device buckets and
 * `maxKeys` addresses (each with at most `devicesPerAddress` ids) are
 * kept, the least recently used forgotten first (a forgotten key starts
 * afresh, which only favours genuine devices an attacker's keys pushed
 * out). A refusal says when to retry.
 *
 * Trusts: the address Fastify reports, and the caller to pass a device id
 * and origin that were validated.
 */
import { WitnessError } from '../errors.js'
import { RateLimiter, type RateLimitOptions } from '../http/rate-limiter.js'

/** Settings of a ReportQuota. */
export interface ReportQuotaOptions {
  /** Reports per (origin, device id) (default: bursts of 20, 60 an hour). */
  readonly perDevice?: RateLimitOptions
  /** Distinct device ids one address may report for within an hour (default 20). */
  readonly devicesPerAddress?: number
  /** Device buckets and addresses kept at most (default 10,000 each). */
  readonly maxKeys?: number
}

/** The default per-device quota: bursts of 20, 60 an hour. */
export const DEVICE_REPORT_RATE: RateLimitOptions = Object.freeze({ burst: 20, perSecond: 60 / 3600 })
/** The default number of device ids one address may report for in an hour. */
export const DEVICES_PER_ADDRESS = 20

const WINDOW_MS = 3600_000

/** The outcome of a quota check. */
export type QuotaVerdict = { readonly ok: true } | { readonly ok: false; readonly retryAfter: number; readonly detail: string }

/** Per-device and per-address report quotas. */
export class ReportQuota {
  readonly #devices: RateLimiter
  readonly #retryDevice: number
  readonly #perAddress: number
  readonly #maxKeys: number
  /** address → (origin \n device id → when first seen, ms), in recency order. */
  readonly #addresses = new Map<string, Map<string, number>>()

  constructor(options: ReportQuotaOptions = {}) {
    const perDevice = options.perDevice ?? DEVICE_REPORT_RATE
    this.#perAddress = options.devicesPerAddress ?? DEVICES_PER_ADDRESS
    this.#maxKeys = options.maxKeys ?? 10_000
    checkQuotaOptions(perDevice, this.#perAddress, this.#maxKeys)
    this.#devices = new RateLimiter({ ...perDevice, maxKeys: this.#maxKeys })
    this.#retryDevice = Math.max(1, Math.ceil(1 / perDevice.perSecond))
  }

  /** Addresses tracked now (for tests of the bound). */
  get addresses(): number {
    return this.#addresses.size
  }

  /**
   * Counts one report of `deviceId` for `origin` from `ip` at `nowMs`.
   *
   * @example
   * const v = quota.take(req.ip, 'palisade/acme', 'd1', Date.now())
   * if (!v.ok) reply.code(429).header('retry-after', String(v.retryAfter))
   */
  take(ip: string, origin: string, deviceId: string, nowMs: number): QuotaVerdict {
    const id = `${origin}\n${deviceId}`
    let seen = this.#addresses.get(ip)
    if (seen === undefined) {
      if (this.#addresses.size >= this.#maxKeys) {
        const oldest = this.#addresses.keys().next().value
        if (oldest !== undefined) this.#addresses.delete(oldest)
      }
      seen = new Map()
    } else {
      this.#addresses.delete(ip) // re-inserted below: the Map's order is recency
    }
    this.#addresses.set(ip, seen)
    for (const [k, at] of seen) {
      if (nowMs - at < WINDOW_MS) break // first-seen order: the rest are newer
      seen.delete(k)
    }
    if (!seen.has(id)) {
      if (seen.size >= this.#perAddress) {
        const oldest = seen.values().next().value ?? nowMs // insertion order is first-seen order
        return {
          ok: false,
          retryAfter: Math.max(1, Math.ceil((oldest + WINDOW_MS - nowMs) / 1000)),
          detail: `${ip} sent reports for ${seen.size} device ids within the hour (at most ${this.#perAddress}); retry later`,
        }
      }
      seen.set(id, nowMs)
    }
    if (!this.#devices.take(id, nowMs)) {
      return { ok: false, retryAfter: this.#retryDevice, detail: `too many reports for device ${JSON.stringify(deviceId)}; retry later` }
    }
    return { ok: true }
  }
}

/**
 * Checks quota settings from the operator: WIT_CONFIG naming the setting.
 *
 * @example
 * checkQuotaOptions({ burst: 20, perSecond: 1 / 60 }, 20, 10_000)
 */
export function checkQuotaOptions(perDevice: RateLimitOptions, devicesPerAddress: number, maxKeys: number): void {
  checkRate('reportDeviceRateLimit', perDevice)
  if (!Number.isSafeInteger(devicesPerAddress) || devicesPerAddress < 1) {
    throw new WitnessError('WIT_CONFIG', `reportDevicesPerAddress: must be a whole number ≥ 1, not ${String(devicesPerAddress)}`)
  }
  if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) throw new WitnessError('WIT_CONFIG', `maxKeys: must be a whole number ≥ 1, not ${String(maxKeys)}`)
}

/**
 * Checks a rate limit setting: a whole burst ≥ 1 and a positive finite
 * rate. WIT_CONFIG naming `name` otherwise.
 *
 * @example
 * checkRate('reportRateLimit', { burst: 20, perSecond: 2 })
 */
export function checkRate(name: string, r: RateLimitOptions): void {
  if (!Number.isSafeInteger(r.burst) || r.burst < 1) throw new WitnessError('WIT_CONFIG', `${name}.burst: must be a whole number ≥ 1, not ${String(r.burst)}`)
  if (typeof r.perSecond !== 'number' || !Number.isFinite(r.perSecond) || r.perSecond <= 0) {
    throw new WitnessError('WIT_CONFIG', `${name}.perSecond: must be a number > 0, not ${String(r.perSecond)}`)
  }
}
