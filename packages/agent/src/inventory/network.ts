/**
 * Network addresses of every interface, from os.networkInterfaces()
 * (getifaddrs(3) underneath).
 *
 * Guarantees: never throws; nothing is excluded (loopback and link-local
 * included, marked `internal` as the OS reports them); the list is sorted so
 * the same configuration always yields the same list.
 */
import { networkInterfaces } from 'node:os'
import { addNote, reasonOf, type SourceOptions } from './source.js'

/** One address on one interface. */
export interface NetworkAddress {
  readonly interface: string
  readonly family: 'IPv4' | 'IPv6'
  readonly address: string
  readonly netmask: string
  /** Address with prefix length, e.g. "10.0.0.5/24"; null when the OS gives no valid mask. */
  readonly cidr: string | null
  readonly mac: string
  /** True for loopback (not reachable from outside this machine). */
  readonly internal: boolean
  /** IPv6 scope id (interface index for link-local addresses); null for IPv4. */
  readonly scopeId: number | null
}

/**
 * Lists every interface address, sorted by interface, family and address.
 *
 * @example
 * collectNetwork().filter((a) => !a.internal).map((a) => a.cidr) // ['10.0.0.5/24', …]
 */
export function collectNetwork(opts: SourceOptions = {}): NetworkAddress[] {
  let ifaces: ReturnType<typeof networkInterfaces>
  try {
    ifaces = networkInterfaces()
  } catch (e) {
    addNote(opts, 'network', reasonOf(e))
    return []
  }
  const out: NetworkAddress[] = []
  for (const [name, addrs] of Object.entries(ifaces)) {
    for (const a of addrs ?? []) {
      out.push({
        interface: name,
        family: a.family,
        address: a.address,
        netmask: a.netmask,
        cidr: a.cidr,
        mac: a.mac,
        internal: a.internal,
        scopeId: a.family === 'IPv6' ? a.scopeid : null,
      })
    }
  }
  const key = (a: NetworkAddress): string => `${a.interface}\u0000${a.family}\u0000${a.address}`
  return out.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
}
