/**
 * Listening sockets, from /proc/net/{tcp,tcp6,udp,udp6}.
 *
 * Guarantees: never throws; a table that cannot be read is skipped with a
 * note. TCP sockets count when in state LISTEN (0A); UDP has no listen
 * state, so a UDP socket counts when it is bound and not connected (state
 * 07 with a zero remote address). The tables describe this process's
 * network namespace, which for the agent is the machine's. Duplicates
 * (SO_REUSEPORT) are merged; the list is sorted.
 */
import { readFile } from 'node:fs/promises'
import { endianness } from 'node:os'
import { addNote, reasonOf, type SourceOptions } from './source.js'

/** One listening socket. */
export interface ListeningPort {
  readonly protocol: 'tcp' | 'tcp6' | 'udp' | 'udp6'
  /** Local address in its usual text form ("0.0.0.0", "::", "127.0.0.1", "::1"). */
  readonly address: string
  readonly port: number
  /** Owner of the socket. */
  readonly uid: number
}

const TABLES = ['tcp', 'tcp6', 'udp', 'udp6'] as const

/**
 * Parses one /proc/net table. `littleEndian` says how the kernel printed the
 * address words: in host byte order, so reversed on little-endian machines.
 *
 * @example
 * parseProcNet(text, 'tcp', true) // [{ protocol: 'tcp', address: '127.0.0.1', port: 3306, uid: 107 }]
 */
export function parseProcNet(text: string, protocol: ListeningPort['protocol'], littleEndian: boolean): ListeningPort[] {
  const out: ListeningPort[] = []
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/)
    if (f.length < 8) continue
    const [, local, remote, state, , , , uid] = f as [string, string, string, string, string, string, string, string]
    const listening = protocol.startsWith('tcp') ? state === '0A' : state === '07' && /^0+:0+$/.test(remote)
    const m = /^([0-9A-F]{8}|[0-9A-F]{32}):([0-9A-F]{4})$/i.exec(local)
    if (!listening || m === null || !/^\d+$/.test(uid)) continue
    out.push({ protocol, address: formatAddress(m[1]!, littleEndian), port: parseInt(m[2]!, 16), uid: Number(uid) })
  }
  return out
}

/** Hex words from /proc → bytes → text (RFC 5952 form for IPv6). */
function formatAddress(hex: string, littleEndian: boolean): string {
  const bytes: number[] = []
  for (let w = 0; w < hex.length; w += 8) {
    const word = [0, 2, 4, 6].map((i) => parseInt(hex.slice(w + i, w + i + 2), 16))
    bytes.push(...(littleEndian ? word.reverse() : word))
  }
  if (bytes.length === 4) return bytes.join('.')
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return `::ffff:${bytes.slice(12).join('.')}`
  }
  const groups = Array.from({ length: 8 }, (_, i) => (bytes[2 * i]! << 8) | bytes[2 * i + 1]!)
  // RFC 5952 §4.2: compress the longest run (≥ 2) of zero groups, the first on a tie.
  let best = -1
  let bestLen = 1
  for (let i = 0; i < 8; ) {
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLen) [best, bestLen] = [i, j - i]
    i = j === i ? i + 1 : j
  }
  const hexes = groups.map((g) => g.toString(16))
  if (best < 0) return hexes.join(':')
  return `${hexes.slice(0, best).join(':')}::${hexes.slice(best + bestLen).join(':')}`
}

/**
 * Lists listening TCP and UDP sockets, sorted by protocol, port, address.
 *
 * @example
 * (await collectListeningPorts()).some((p) => p.protocol === 'tcp' && p.port === 22)
 */
export async function collectListeningPorts(opts: SourceOptions & { readonly procNetDir?: string } = {}): Promise<ListeningPort[]> {
  const le = endianness() === 'LE'
  const seen = new Map<string, ListeningPort>()
  for (const table of TABLES) {
    let text: string
    try {
      text = await readFile(`${opts.procNetDir ?? '/proc/net'}/${table}`, 'utf8')
    } catch (e) {
      addNote(opts, 'ports', `${table} ${reasonOf(e)}`)
      continue
    }
    for (const p of parseProcNet(text, table, le)) seen.set(`${p.protocol} ${p.port} ${p.address} ${p.uid}`, p)
  }
  return [...seen.values()].sort(compare)
}

function compare(a: ListeningPort, b: ListeningPort): number {
  const text = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0)
  return text(a.protocol, b.protocol) || a.port - b.port || text(a.address, b.address) || a.uid - b.uid
}
