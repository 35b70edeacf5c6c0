/**
 * Several server URLs for one device: a fleet served by several server
 * nodes (PostgreSQL + NATS) gives its agents every node's URL, and an agent
 * whose connection ends tries the next one, with the usual backoff
 * (run-agent.ts). Nothing else changes on a switch: every node reads the
 * same database, so the new node re-sends whatever the device has not
 * answered, and the device's own trust state (checkpoint, executed ids,
 * last log index run) refuses anything stale, already run or out of order.
 *
 * The list is kept in `<state dir>/servers.json`, `{"servers": [url, …]}`,
 * beside device.json (whose `server` stays the first, the one the device
 * enrolled with). It is a convenience, not trust: a server URL decides
 * only where the agent connects, never what it believes.
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { AgentError, systemErrorCode } from '../errors.js'
import { readJsonFile, writeFileAtomic } from '../state/atomic-file.js'
import { gatewayUrl, parseServerUrl } from './server-url.js'

/** Most server URLs one device keeps. */
export const MAX_SERVERS = 16

/** The file, in the state directory, that lists the servers. */
export const SERVERS_FILE = 'servers.json'

/**
 * Validates and de-duplicates server base URLs, keeping their order.
 * AGENT_ARG_INVALID for an empty list, more than {@link MAX_SERVERS} or a bad URL.
 *
 * @example
 * parseServerList(['https://a.example.com/', 'https://b.example.com']) // ['https://a.example.com', 'https://b.example.com']
 */
export function parseServerList(values: readonly unknown[]): string[] {
  if (!Array.isArray(values) || values.length === 0) throw new AgentError('AGENT_ARG_INVALID', 'the server list is empty')
  const out: string[] = []
  for (const v of values) {
    if (typeof v !== 'string') throw new AgentError('AGENT_ARG_INVALID', 'invalid server URL: not a string')
    const url = parseServerUrl(v)
    if (!out.includes(url)) out.push(url)
  }
  if (out.length > MAX_SERVERS) throw new AgentError('AGENT_ARG_INVALID', `at most ${MAX_SERVERS} server URLs`)
  return out
}

/**
 * The servers of the device in `stateDir`: `enrolled` (device.json's) first,
 * then those of servers.json, if any.
 *
 * @example
 * const servers = await readServerList('/var/lib/palisade-agent', record.server)
 */
export async function readServerList(stateDir: string, enrolled: string): Promise<string[]> {
  const path = join(stateDir, SERVERS_FILE)
  try {
    return await readJsonFile(path, 64 * 1024, (v) => {
      const o = v as { servers?: unknown } | null
      if (typeof o !== 'object' || o === null || Array.isArray(o) || !Array.isArray(o.servers)) throw new Error('expected {"servers": [url, …]}')
      return parseServerList([enrolled, ...o.servers])
    })
  } catch (e) {
    if ((e as { code?: unknown }).code === 'AGENT_FILE_MISSING' || systemErrorCode(e) === 'ENOENT') return [enrolled]
    throw e
  }
}

/**
 * Writes servers.json (0600, atomically) with `servers`.
 *
 * @example
 * await writeServerList(stateDir, ['https://a.example.com', 'https://b.example.com'])
 */
export async function writeServerList(stateDir: string, servers: readonly string[]): Promise<void> {
  const list = parseServerList(servers)
  await writeFileAtomic(join(stateDir, SERVERS_FILE), `${JSON.stringify({ servers: list }, null, 2)}\n`)
}

/**
 * Removes servers.json (a leftover of an enrollment that did not finish), if any.
 *
 * @example
 * await removeServerList(stateDir)
 */
export async function removeServerList(stateDir: string): Promise<void> {
  try {
    await rm(join(stateDir, SERVERS_FILE), { force: true })
  } catch (e) {
    throw new AgentError('AGENT_FILE_WRITE_FAILED', `cannot remove ${join(stateDir, SERVERS_FILE)}: ${(e as Error).message}`, { cause: e })
  }
}

/**
 * Round-robin over the gateway URLs of a server list: the agent connects to
 * {@link current}, and moves on with {@link next} when a connection ends.
 *
 * @example
 * const servers = new ServerRotation(['https://a', 'https://b'])
 * servers.current() // 'wss://a/v1/agent'
 * servers.next()    // 'wss://b/v1/agent'
 */
export class ServerRotation {
  readonly servers: readonly string[]
  readonly #gateways: readonly string[]
  #at = 0

  constructor(servers: readonly string[]) {
    this.servers = Object.freeze(parseServerList(servers))
    this.#gateways = this.servers.map(gatewayUrl)
  }

  /** The gateway URL to connect to now. */
  current(): string {
    return this.#gateways[this.#at]!
  }

  /** The server base URL of {@link current}. */
  currentServer(): string {
    return this.servers[this.#at]!
  }

  /** Moves to the next server (wrapping around) and returns its gateway URL. */
  next(): string {
    this.#at = (this.#at + 1) % this.#gateways.length
    return this.current()
  }
}
