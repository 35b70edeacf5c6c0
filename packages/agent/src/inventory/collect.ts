/**
 * One inventory of this machine, and a digest that says whether it changed.
 *
 * Guarantees: `collectInventory` never throws; it runs every collector
 * concurrently and a failing source shows up as null/[] plus a line in
 * `notes`, never as a missing report. `inventoryDigest` is the same for
 * the same machine state whatever the collection order or time: it hashes a
 * key-sorted JSON of everything except `collectedAt` and the gauges listed
 * in VOLATILE_FIELDS, which change on every read and would otherwise make
 * every inventory look new.
 */
import { createHash } from 'node:crypto'
import { collectCpus, type CpuInfo } from './cpus.js'
import { collectDisks, type DiskInfo } from './disks.js'
import { collectHostname } from './hostname.js'
import { collectKernel, type KernelInfo } from './kernel.js'
import { collectMemory, type MemoryInfo } from './memory.js'
import { collectNetwork, type NetworkAddress } from './network.js'
import { collectOsRelease, type OsRelease } from './os-release.js'
import { collectPackages, type PackageInventory } from './packages.js'
import { collectListeningPorts, type ListeningPort } from './ports.js'
import { reasonOf } from './source.js'
import { collectUsers, type LocalUser } from './users.js'

/** Everything the agent reports about the machine. */
export interface Inventory {
  readonly os: OsRelease | null
  readonly kernel: KernelInfo
  readonly hostname: string | null
  readonly cpus: CpuInfo
  readonly memory: MemoryInfo
  readonly disks: readonly DiskInfo[]
  readonly network: readonly NetworkAddress[]
  readonly packages: PackageInventory
  readonly users: readonly LocalUser[]
  readonly listeningPorts: readonly ListeningPort[]
  /** Why some source is null or empty, sorted; [] when every source answered. */
  readonly notes: readonly string[]
  /** ISO 8601 time the collection started. */
  readonly collectedAt: string
}

/** Fields left out of the digest because they change on every read (documented as API). */
export const VOLATILE_FIELDS = Object.freeze(['collectedAt', 'memory.freeBytes', 'disks[].freeBytes', 'disks[].availableBytes'])

/**
 * Collects the whole inventory.
 *
 * @example
 * const inv = await collectInventory()
 * if (inventoryDigest(inv) !== lastSentDigest) send(inv)
 */
export async function collectInventory(opts: { readonly now?: () => Date } = {}): Promise<Inventory> {
  const collectedAt = (opts.now ?? (() => new Date()))().toISOString()
  const notes: string[] = []
  const o = { notes }
  // Collectors promise not to throw; this is the belt to those braces, so one
  // bug in one source can never cost the whole report.
  const guard = async <T>(source: string, f: () => T | Promise<T>, fallback: T): Promise<T> => {
    try {
      return await f()
    } catch (e) {
      notes.push(`${source}: unexpected ${reasonOf(e)}`)
      return fallback
    }
  }
  const [os, disks, packages, users, listeningPorts] = await Promise.all([
    guard('os-release', () => collectOsRelease(o), null),
    guard('disks', () => collectDisks(o), []),
    guard('packages', () => collectPackages(o), { manager: null, packages: null }),
    guard('users', () => collectUsers(o), []),
    guard('ports', () => collectListeningPorts(o), []),
  ])
  return {
    os,
    kernel: await guard('kernel', () => collectKernel(o), { release: null, version: null, arch: process.arch, machine: null }),
    hostname: await guard('hostname', () => collectHostname(o), null),
    cpus: await guard('cpus', () => collectCpus(o), { model: null, models: [], count: 0 }),
    memory: await guard('memory', () => collectMemory(o), { totalBytes: 0, freeBytes: 0 }),
    disks,
    network: await guard('network', () => collectNetwork(o), []),
    packages,
    users,
    listeningPorts,
    // Collectors finish in any order; sorting keeps the digest stable.
    notes: notes.sort(),
    collectedAt,
  }
}

/**
 * SHA-256 (lowercase hex) over the key-sorted JSON of the inventory without
 * its volatile fields. For this data (strings, integers, booleans, null) the
 * serialisation equals RFC 8785 canonical JSON, so the server can recompute it.
 *
 * @example
 * inventoryDigest(inv) // '3b4c…' (64 hex digits)
 */
export function inventoryDigest(inv: Inventory): string {
  const { collectedAt: _, memory, disks, ...rest } = inv
  const stable = {
    ...rest,
    memory: { totalBytes: memory.totalBytes },
    disks: disks.map(({ freeBytes: _f, availableBytes: _a, ...d }) => d),
  }
  return createHash('sha256').update(stableJson(stable)).digest('hex')
}

/** JSON with object keys sorted by UTF-16 code units (RFC 8785 §3.2.3 order); undefined members dropped. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : stableJson(v))).join(',')}]`
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined)
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}
