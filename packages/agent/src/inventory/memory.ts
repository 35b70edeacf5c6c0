/**
 * Physical memory, from node:os (sysinfo(2) and /proc/meminfo underneath).
 *
 * Guarantees: never throws. `freeBytes` is a gauge that changes constantly;
 * inventoryDigest ignores it so that it alone never makes an inventory "new".
 */
import { freemem, totalmem } from 'node:os'
import type { SourceOptions } from './source.js'

/** Memory totals in bytes. */
export interface MemoryInfo {
  readonly totalBytes: number
  /** Memory available to new work (Node reports MemAvailable on Linux). */
  readonly freeBytes: number
}

/**
 * Describes physical memory.
 *
 * @example
 * collectMemory().totalBytes // 8_254_427_136
 */
export function collectMemory(_opts: SourceOptions = {}): MemoryInfo {
  return { totalBytes: totalmem(), freeBytes: freemem() }
}
