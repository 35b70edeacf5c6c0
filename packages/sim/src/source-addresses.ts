/**
 * Source addresses for the simulator's connections. One (source address,
 * destination) pair has about 28,000 ephemeral ports (32768–60999 on
 * Linux), so past that many agents the connections must come from several
 * loopback addresses (127.0.0.0/8 is all local on Linux, no setup needed).
 */
import { SimError } from './errors.js'

const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/
/** More addresses than this is a typo, not a plan (each gives ~28k ports). */
const MAX_ADDRESSES = 4096

function toInt(a: string, what: string): number {
  const m = IPV4_RE.exec(a)
  const parts = m === null ? [] : m.slice(1).map(Number)
  if (parts.length !== 4 || parts.some((p) => p > 255)) throw new SimError('SIM_ARG_INVALID', `${what}: ${JSON.stringify(a)} is not an IPv4 address`)
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!
}

function toText(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.')
}

/**
 * Parses a comma-separated list of IPv4 addresses and inclusive ranges.
 *
 * @example
 * parseSourceAddresses('127.0.0.2-127.0.0.4,127.0.1.1') // ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.1.1']
 */
export function parseSourceAddresses(spec: string, what = '--source-addresses'): readonly string[] {
  const out: string[] = []
  for (const item of spec.split(',')) {
    const part = item.trim()
    if (part === '') throw new SimError('SIM_ARG_INVALID', `${what}: empty item in ${JSON.stringify(spec)}`)
    const [from, to, extra] = part.split('-')
    if (extra !== undefined) throw new SimError('SIM_ARG_INVALID', `${what}: ${JSON.stringify(part)} is not an address or a range a-b`)
    const a = toInt(from!, what)
    const b = to === undefined ? a : toInt(to, what)
    if (b < a) throw new SimError('SIM_ARG_INVALID', `${what}: range ${JSON.stringify(part)} ends before it starts`)
    if (out.length + (b - a + 1) > MAX_ADDRESSES) throw new SimError('SIM_ARG_INVALID', `${what}: more than ${MAX_ADDRESSES} addresses`)
    for (let n = a; n <= b; n++) out.push(toText(n))
  }
  return Object.freeze(out)
}

/**
 * The source address of agent number `index` (round robin), or undefined
 * to let the kernel choose.
 *
 * @example
 * sourceAddressFor(['127.0.0.2', '127.0.0.3'], 3) // '127.0.0.3'
 */
export function sourceAddressFor(addresses: readonly string[], index: number): string | undefined {
  return addresses.length === 0 ? undefined : addresses[index % addresses.length]
}
