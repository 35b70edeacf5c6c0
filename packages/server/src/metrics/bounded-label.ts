/**
 * A label whose values are bounded: the first `max` distinct values are
 * kept, later new ones are counted under `other`. Prometheus keeps one
 * series per label value forever, so a label fed from outside (agent
 * codes, org ids) must not grow without bound (A4: a hostile device must
 * not exhaust the server's memory through its metrics).
 */

/** Codes look like PROTO_SIG_INVALID; anything else is counted as `invalid`. */
const CODE = /^[A-Z][A-Z0-9_]{0,63}$/

/**
 * @example
 * const codes = new BoundedLabel(64)
 * counter.inc({ code: codes.code(rejection.code) })
 */
export class BoundedLabel {
  readonly #max: number
  readonly #seen = new Set<string>()

  constructor(max: number) {
    this.#max = max
  }

  /** `value` itself while fewer than `max` distinct values were seen (or it is one of them), else `other`. */
  of(value: string): string {
    if (this.#seen.has(value)) return value
    if (this.#seen.size >= this.#max) return 'other'
    this.#seen.add(value)
    return value
  }

  /** Like {@link of}, for an error code: `invalid` unless it looks like one. */
  code(value: unknown): string {
    return typeof value === 'string' && CODE.test(value) ? this.of(value) : 'invalid'
  }
}
