/**
 * The CPUs, from node:os (/proc/cpuinfo and sysfs underneath).
 *
 * Guarantees: never throws. Clock speed is left out on purpose: it changes
 * from second to second with frequency scaling and would make every
 * inventory look new.
 */
import { availableParallelism, cpus } from 'node:os'
import { addNote, reasonOf, type SourceOptions } from './source.js'

/** The processor model and how many logical CPUs there are. */
export interface CpuInfo {
  /** Model string of the first CPU, trimmed; null when the platform does not say. */
  readonly model: string | null
  /** Every distinct model, sorted (more than one on big.LITTLE machines). */
  readonly models: readonly string[]
  /** Logical CPUs. */
  readonly count: number
}

/**
 * Describes the CPUs.
 *
 * @example
 * collectCpus() // { model: 'AMD EPYC 7B13', models: ['AMD EPYC 7B13'], count: 8 }
 */
export function collectCpus(opts: SourceOptions = {}): CpuInfo {
  let list: { model: string }[] = []
  try {
    list = cpus()
  } catch (e) {
    addNote(opts, 'cpus', reasonOf(e))
  }
  const models = [...new Set(list.map((c) => c.model.trim()).filter((m) => m !== ''))].sort()
  if (list.length === 0) {
    // Some containers hide /proc/cpuinfo; the scheduler still knows the count.
    addNote(opts, 'cpus', 'no per-CPU information; count from availableParallelism')
    return { model: null, models: [], count: availableParallelism() }
  }
  return { model: list[0]!.model.trim() || null, models, count: list.length }
}
