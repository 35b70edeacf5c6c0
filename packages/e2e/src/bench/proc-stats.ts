/**
 * What the benchmarks read about processes and the machine: resident
 * memory (/proc/<pid>/status VmRSS), CPU time (/proc/<pid>/stat utime +
 * stime), the CPU model, and medians.
 */
import { readFileSync } from 'node:fs'
import { cpus } from 'node:os'

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on Linux). */
export const TICKS_PER_SECOND = 100

/** Resident memory of `pid`, bytes. */
export function rssBytes(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024
}

/** CPU time (user + system) of `pid` so far, in clock ticks. */
export function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return Number(f[11]) + Number(f[12])
}

/** The median (upper median for an even count). */
export function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[xs.length >> 1]!
}

/** The p-th percentile (nearest rank), p in [0, 100]. */
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!
}

/** One line about the machine: CPU model, cores, memory, node version, fd limit. */
export function machine(): string {
  const c = cpus()
  const mem = Number(/MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0) / 2 ** 20
  const fd = /Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? '?'
  return `${c[0]?.model.trim() ?? 'unknown CPU'}, ${c.length} cores, ${mem.toFixed(0)} GiB RAM, node ${process.version}, open-file limit ${fd}`
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
