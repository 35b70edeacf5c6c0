/**
 * The benchmarks' settings from the environment, checked before anything
 * starts: a typo must fail in the first second with the variable's name,
 * not an hour into a run (or worse, be read as NaN or 0).
 */

/** Thrown for a bad PALISADE_BENCH_* value; the message names the variable and what it takes. */
export class BenchEnvError extends Error {
  override readonly name = 'BenchEnvError'
}

const raw = (name: string): string | undefined => {
  const v = process.env[name]
  return v === undefined ? undefined : v.trim()
}

/**
 * An integer setting within [min, max].
 *
 * @example
 * const RUNS = envInt('PALISADE_BENCH_RUNS', 3, 1, 99)
 */
export function envInt(name: string, fallback: number, min: number, max: number): number {
  const v = raw(name)
  if (v === undefined || v === '') return fallback
  const n = Number(v)
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new BenchEnvError(`${name}=${JSON.stringify(v)}: expected an integer from ${min} to ${max}`)
  }
  return n
}

/**
 * A comma-separated list of sizes (integers within [min, max]); set but
 * empty means none (the part is skipped).
 *
 * @example
 * const HELD = envSizes('PALISADE_BENCH_HELD', [1000, 10000], 1, 1_000_000) // "500,2000" → [500, 2000]
 */
export function envSizes(name: string, fallback: readonly number[], min: number, max: number): number[] {
  const v = raw(name)
  if (v === undefined) return [...fallback]
  if (v === '') return []
  const items = v.split(',').map((s) => s.trim())
  const bad = items.filter((s) => !/^\d+$/.test(s) || Number(s) < min || Number(s) > max)
  if (bad.length > 0) throw new BenchEnvError(`${name}=${JSON.stringify(v)}: ${bad.map((b) => JSON.stringify(b)).join(', ')} not an integer from ${min} to ${max}`)
  return items.map(Number)
}

/**
 * A comma-separated list of choices out of `allowed`, in the given order.
 *
 * @example
 * const DBS = envChoices('PALISADE_BENCH_DBS', ['sqlite', 'postgres'], ['sqlite', 'postgres'] as const)
 */
export function envChoices<T extends string>(name: string, fallback: readonly T[], allowed: readonly T[]): T[] {
  const v = raw(name)
  if (v === undefined) return [...fallback]
  const items = v.split(',').map((s) => s.trim()).filter((s) => s !== '')
  const bad = items.filter((s) => !(allowed as readonly string[]).includes(s))
  if (bad.length > 0) throw new BenchEnvError(`${name}=${JSON.stringify(v)}: ${bad.join(', ')} not one of ${allowed.join(', ')}`)
  return items as T[]
}
