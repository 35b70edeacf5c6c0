/**
 * The open-file limit decides how many agents one process can hold (one
 * socket each), so the fleet benchmark reads it instead of assuming it.
 * Node raises its own soft limit to the hard one when it starts, so every
 * process here (server, workers, simulator, this harness: all Node) gets
 * the hard limit: "raising the open-file limit" as far as this machine
 * allows needs nothing more, and going past it needs a larger hard limit
 * (CAP_SYS_RESOURCE or the container's configuration).
 */
import { readFileSync } from 'node:fs'

/** Soft and hard limit on open files of this process. */
export interface OpenFileLimits {
  readonly soft: number
  readonly hard: number
}

/**
 * This process's open-file limits, from /proc/self/limits ("unlimited"
 * means the kernel's cap, /proc/sys/fs/nr_open).
 *
 * @example
 * openFileLimits() // { soft: 20000, hard: 20000 }
 */
export function openFileLimits(): OpenFileLimits {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'))
  const [soft, hard] = (line ?? '').replace('Max open files', '').trim().split(/\s+/)
  const value = (v: string | undefined): number => {
    if (v === 'unlimited') return Number(readFileSync('/proc/sys/fs/nr_open', 'utf8').trim())
    const n = Number(v)
    if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`cannot read the open-file limit from /proc/self/limits: ${JSON.stringify(line)}`)
    return n
  }
  return { soft: value(soft), hard: value(hard) }
}
