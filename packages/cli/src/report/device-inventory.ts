/**
 * A device's inventory, summarised for `palisade devices show`: OS, kernel,
 * CPUs, memory, disks, addresses, package count, users and listening ports.
 * The inventory is the device's own report relayed by the server, in the
 * agent's format (agent/src/inventory/collect.ts); it is read defensively,
 * field by field, and anything missing shows as '-'.
 */
import type { JsonValue } from '../io/output.js'

type Json = JsonValue | undefined

function field(v: Json, ...path: string[]): Json {
  let cur: Json = v
  for (const k of path) {
    if (cur === null || cur === undefined || typeof cur !== 'object' || Array.isArray(cur)) return undefined
    cur = (cur as { readonly [k: string]: JsonValue })[k]
  }
  return cur
}

function text(v: Json): string | undefined {
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined
}

function list(v: Json): readonly JsonValue[] {
  return Array.isArray(v) ? v : []
}

/** Bytes in binary units, e.g. 8254427136 → '7.7 GiB'. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']
  let v = n
  let u = 0
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024
    u++
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`
}

/** A short OS name from whatever the server reports (a string, or os-release fields). */
export function osName(os: Json): string {
  return text(os) ?? text(field(os, 'prettyName')) ?? text(field(os, 'name')) ?? text(field(os, 'id')) ?? '-'
}

/** `[label, value]` rows summarising an inventory. */
export function inventoryRows(inv: Json): [string, string][] {
  if (inv === null || inv === undefined || typeof inv !== 'object') return [['inventory', 'none reported yet']]
  const kernel = [text(field(inv, 'kernel', 'release')), text(field(inv, 'kernel', 'machine')) ?? text(field(inv, 'kernel', 'arch'))]
  const cpuCount = text(field(inv, 'cpus', 'count'))
  const total = field(inv, 'memory', 'totalBytes')
  const free = field(inv, 'memory', 'freeBytes')
  const disks = list(field(inv, 'disks')).map((d) => {
    const size = field(d, 'sizeBytes')
    const avail = field(d, 'availableBytes')
    const sizes = typeof size === 'number' ? ` ${formatBytes(size)}${typeof avail === 'number' ? `, ${formatBytes(avail)} free` : ''}` : ''
    return `${text(field(d, 'mountPoint')) ?? '?'} (${text(field(d, 'fsType')) ?? '?'}${sizes})`
  })
  const addresses = list(field(inv, 'network'))
    .filter((a) => field(a, 'internal') !== true)
    .map((a) => `${text(field(a, 'cidr')) ?? text(field(a, 'address')) ?? '?'} (${text(field(a, 'interface')) ?? '?'})`)
  const packages = field(inv, 'packages', 'packages')
  const manager = text(field(inv, 'packages', 'manager'))
  const users = list(field(inv, 'users')).map((u) => text(field(u, 'name')) ?? '?')
  const ports = list(field(inv, 'listeningPorts')).map((p) => `${text(field(p, 'protocol')) ?? '?'} ${text(field(p, 'address')) ?? '?'}:${text(field(p, 'port')) ?? '?'}`)
  const notes = list(field(inv, 'notes')).map((n) => text(n) ?? '?')
  const rows: [string, string][] = [
    ['os', osName(field(inv, 'os'))],
    ['kernel', kernel.filter((x) => x !== undefined).join(' ') || '-'],
    ['cpus', cpuCount === undefined ? '-' : `${cpuCount} × ${text(field(inv, 'cpus', 'model')) ?? 'unknown model'}`],
    ['memory', typeof total === 'number' ? `${formatBytes(total)}${typeof free === 'number' ? ` (${formatBytes(free)} available)` : ''}` : '-'],
    ['disks', disks.join(', ') || '-'],
    ['addresses', addresses.join(', ') || '-'],
    ['packages', Array.isArray(packages) ? `${packages.length}${manager === undefined ? '' : ` (${manager})`}` : '-'],
    ['users', users.length === 0 ? '-' : `${users.length}: ${users.slice(0, 20).join(', ')}${users.length > 20 ? ', …' : ''}`],
    ['listening ports', ports.length === 0 ? '-' : `${ports.length}: ${ports.slice(0, 20).join(', ')}${ports.length > 20 ? ', …' : ''}`],
  ]
  if (notes.length > 0) rows.push(['notes', notes.join('; ')])
  return rows
}
