/**
 * Bounds the alerts one device can make the gateway store on its own
 * account (refused reports, rejections of commands never delivered to it),
 * so that a hostile device (A4) cannot flood an org's alert list or the
 * database. Rejections of real deliveries are not budgeted: there is at
 * most one per delivery.
 */

/** Options of {@link AlertBudget}. */
export interface AlertBudgetOptions {
  /** Alerts allowed per device per window (default 20). */
  readonly perWindow?: number
  /** Window length (default one hour). */
  readonly windowMs?: number
}

/** In-memory, per process; forgets devices whose window has passed. */
export class AlertBudget {
  readonly #perWindow: number
  readonly #windowMs: number
  readonly #used = new Map<string, { start: number; count: number }>()

  constructor(options: AlertBudgetOptions = {}) {
    this.#perWindow = options.perWindow ?? 20
    this.#windowMs = options.windowMs ?? 3_600_000
  }

  /**
   * Takes one alert from `deviceId`'s budget; false when it is spent.
   *
   * @example
   * if (budget.take(device.id)) await raiseAlert(db, alert)
   */
  take(deviceId: string, now = Date.now()): boolean {
    let u = this.#used.get(deviceId)
    if (u === undefined || now - u.start >= this.#windowMs) {
      if (this.#used.size >= 100_000) this.#sweep(now)
      u = { start: now, count: 0 }
      this.#used.set(deviceId, u)
    }
    if (u.count >= this.#perWindow) return false
    u.count++
    return true
  }

  #sweep(now: number): void {
    for (const [id, u] of this.#used) if (now - u.start >= this.#windowMs) this.#used.delete(id)
    if (this.#used.size >= 100_000) this.#used.clear()
  }
}
