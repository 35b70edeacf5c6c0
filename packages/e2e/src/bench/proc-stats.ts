/**
 * What the benchmarks read about processes and the machine: resident
 * memory (/proc/<pid>/status VmRSS), CPU time (/proc/<pid>/stat utime +
 * stime), open descriptors, a process and its descendants (a server with
 * worker processes is measured as the sum over its tree), the CPU model,
 * and medians.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { openFileLimits } from './fd-limit.js'

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

/**
 * `pid` and all its descendants, parents first. Read from
 * /proc/<pid>/task/<tid>/children (the children any thread forked), so a
 * node:cluster primary's workers are found without scanning every process.
 *
 * @example
 * processTree(server.pid) // [primary, worker 1, worker 2]
 */
export function processTree(pid: number): number[] {
  const out: number[] = []
  const visit = (p: number): void => {
    out.push(p)
    let tasks: string[]
    try {
      tasks = readdirSync(`/proc/${p}/task`)
    } catch {
      return // exited meanwhile
    }
    for (const t of tasks) {
      let children = ''
      try {
        children = readFileSync(`/proc/${p}/task/${t}/children`, 'utf8')
      } catch {
        continue
      }
      for (const c of children.split(' ')) if (c.trim() !== '') visit(Number(c))
    }
  }
  visit(pid)
  return out
}

/** Sum of `f` over `pids`, skipping a process that exited between listing and reading. */
export function sumOver(pids: readonly number[], f: (pid: number) => number): number {
  let total = 0
  for (const p of pids) {
    try {
      total += f(p)
    } catch {
      // gone: it holds nothing any more
    }
  }
  return total
}

/** Open descriptors of `pid` (its sockets, files, pipes). */
export function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length
}

/** Open sockets of `pid` (TCP, Unix, …): an agent's connection is one. */
export function openSockets(pid: number): number {
  let n = 0
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) n++
    } catch {
      // closed meanwhile
    }
  }
  return n
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

/**
 * One line about the machine, printed with every table: CPU model, cores,
 * memory, node version, the open-file limit (soft/hard: it decides how many
 * agents one process holds) and the load average when the line is made
 * (everything here shares its cores with whatever else runs).
 *
 * @example
 * console.log(`machine: ${machine()}`)
 */
export function machine(): string {
  const c = cpus()
  const mem = Number(/MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0) / 2 ** 20
  const fd = openFileLimits()
  const load = loadavg().map((x) => x.toFixed(2)).join(' ')
  return `${c[0]?.model.trim() ?? 'unknown CPU'}, ${c.length} cores, ${mem.toFixed(0)} GiB RAM, node ${process.version}, open-file limit ${fd.soft} (hard ${fd.hard}), load average ${load}`
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
