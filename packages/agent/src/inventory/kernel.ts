/**
 * The running kernel, from the node:os calls (uname(2) underneath).
 *
 * Guarantees: never throws; each field is null when the platform cannot
 * answer, with a note.
 */
import { arch, machine, release, version } from 'node:os'
import { addNote, reasonOf, type SourceOptions } from './source.js'

/** uname-style facts about the running kernel. */
export interface KernelInfo {
  /** e.g. "6.1.0-18-amd64" (uname -r). */
  readonly release: string | null
  /** e.g. "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1" (uname -v). */
  readonly version: string | null
  /** Node's name for the CPU architecture: "x64", "arm64", … */
  readonly arch: string
  /** The kernel's name for it: "x86_64", "aarch64", … (uname -m). */
  readonly machine: string | null
}

/**
 * Describes the running kernel.
 *
 * @example
 * collectKernel().release // '6.1.0-18-amd64'
 */
export function collectKernel(opts: SourceOptions = {}): KernelInfo {
  const safe = (what: string, f: () => string): string | null => {
    try {
      return f()
    } catch (e) {
      addNote(opts, 'kernel', `${what} ${reasonOf(e)}`)
      return null
    }
  }
  return { release: safe('release', release), version: safe('version', version), arch: arch(), machine: safe('machine', machine) }
}
