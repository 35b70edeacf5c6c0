/**
 * How the benchmarks print: figures (MiB, KiB, ×), markdown tables printed
 * whole once every run behind them succeeded (a failed run leaves no half
 * table behind, only its progress lines on stderr), and growth lines.
 */

export const kib = (b: number): string => `${(b / 1024).toFixed(1)} KiB`
export const mib = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`
/** A factor, e.g. "×9.3". */
export const times = (to: number, from: number): string => (from > 0 ? `×${(to / from).toFixed(1)}` : '×–')

/** A progress line (stderr: it is not part of the report). */
export function progress(line: string): void {
  console.error(`  … ${line}`)
}

/**
 * Prints a markdown table; `align` has one letter per column, l or r.
 *
 * @example
 * printTable('lr', ['db', 'agents'], [['sqlite', '1000']])
 */
export function printTable(align: string, headers: readonly string[], rows: readonly (readonly string[])[]): void {
  if (align.length !== headers.length) throw new Error(`printTable: ${align.length} alignments for ${headers.length} columns`)
  console.log(`| ${headers.join(' | ')} |`)
  console.log(`| ${[...align].map((a) => (a === 'r' ? '---:' : '---')).join(' | ')} |`)
  for (const r of rows) console.log(`| ${r.join(' | ')} |`)
}

/**
 * One line per step between consecutive sizes, e.g.
 * "growth 1000 → 10000 (×10 agents): RSS held ×1.6, CPU ×7.0".
 *
 * @example
 * printGrowth('held, SQLite', [{ n: 1000, values: { 'per agent': 17.3 } }, { n: 10000, values: { 'per agent': 10.1 } }])
 */
export function printGrowth(label: string, points: readonly { n: number; note?: string; values: Record<string, number> }[]): void {
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!
    const b = points[i]!
    const parts = Object.keys(b.values).map((k) => `${k} ${times(b.values[k]!, a.values[k] ?? 0)}`)
    console.log(`growth (${label}) ${a.n} → ${b.n} (${times(b.n, a.n)} agents${b.note === undefined ? '' : `; ${b.note}`}): ${parts.join(', ')}`)
  }
}
