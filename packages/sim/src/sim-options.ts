/**
 * The options of runSimulator, validated once at the edge: every bad
 * option is reported in one SIM_ARG_INVALID naming the field, and the
 * result is frozen. Defaults follow the real agent where there is one
 * (reconnect backoff 1 s → 120 s, reset after 60 s up; a 15 s handshake;
 * the 10-minute heartbeat tick).
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { SimCounters } from './counters.js'
import { SimError } from './errors.js'
import { parseSourceAddresses } from './source-addresses.js'

/** What runSimulator takes. Only `server` and `agents` are required (and tokens or a state dir). */
export interface SimOptions {
  /** Server base URL, http(s). */
  readonly server: string
  /** Enrollment tokens, used in order (each allows ≤ 10,000 devices). */
  readonly tokens?: readonly string[] | undefined
  /** SHA-256 fingerprint of org root v1; needed to enroll, optional when the state dir has it. */
  readonly fingerprint?: string | undefined
  readonly agents: number
  /** Worker processes (child_process.fork), each simulating its share of `agents`; default 1 (in this process). */
  readonly workers?: number | undefined
  /** Source addresses, as a list or a spec such as '127.0.0.2-127.0.0.40'; default: the kernel picks. */
  readonly sourceAddresses?: readonly string[] | string | undefined
  /** Connection attempts per second over all workers; default 500. */
  readonly rampRate?: number | undefined
  /** Handshakes open at once over all workers; default 1000. */
  readonly maxHandshakes?: number | undefined
  /** Enrollments at once per process; default 8. */
  readonly enrollConcurrency?: number | undefined
  /** Where keys and trust states persist; a rerun reconnects the same devices. */
  readonly stateDir?: string | undefined
  readonly heartbeatMs?: number | undefined
  readonly handshakeTimeoutMs?: number | undefined
  readonly statusIntervalMs?: number | undefined
  /** Called every statusIntervalMs with the counters summed over all workers. */
  readonly onStatus?: ((c: SimCounters) => void) | undefined
  /** Rare events (refusals, failures), one line each; never keys or tokens. */
  readonly onNote?: ((line: string) => void) | undefined
  /** Abort to stop: connections close, states are saved, runSimulator resolves. */
  readonly signal?: AbortSignal | undefined
}

/** Validated options (callbacks and signal aside, plain data: it crosses to workers). */
export interface ResolvedSimOptions {
  readonly server: string
  readonly tokens: readonly string[]
  readonly fingerprint: string | undefined
  readonly agents: number
  readonly workers: number
  readonly sourceAddresses: readonly string[]
  readonly rampRate: number
  readonly maxHandshakes: number
  readonly enrollConcurrency: number
  readonly stateDir: string | undefined
  readonly heartbeatMs: number
  readonly handshakeTimeoutMs: number
  readonly statusIntervalMs: number
}

/** Descriptors a process keeps for itself beyond its sockets (stdio, the event loop, files, fetch). */
const FD_HEADROOM = 200
const TOKEN_RE = /^[\x21-\x7e]{1,4096}$/

/**
 * @example
 * resolveSimOptions({ server: 'http://127.0.0.1:8080', tokens: [t], fingerprint: fp, agents: 1000 })
 */
export function resolveSimOptions(o: SimOptions): ResolvedSimOptions {
  const problems: string[] = []
  const int = (name: string, v: number | undefined, fallback: number, min: number, max: number): number => {
    if (v === undefined) return fallback
    if (!Number.isSafeInteger(v) || v < min || v > max) problems.push(`${name} must be an integer from ${min} to ${max}`)
    return v
  }
  let server = ''
  try {
    const u = new URL(o.server)
    if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.search !== '' || u.hash !== '' || u.username !== '' || u.password !== '') throw new Error()
    server = `${u.origin}${u.pathname.replace(/\/+$/, '')}`
  } catch {
    problems.push('server must be an http(s) URL without query, fragment or credentials')
  }
  const tokens = o.tokens ?? []
  if (!Array.isArray(tokens) || tokens.some((t) => typeof t !== 'string' || !TOKEN_RE.test(t))) {
    problems.push('each token must be 1 to 4096 printable ASCII characters without spaces')
  }
  const fingerprint = o.fingerprint === undefined ? undefined : o.fingerprint.toLowerCase()
  if (fingerprint !== undefined && !/^[0-9a-f]{64}$/.test(fingerprint)) problems.push('fingerprint must be 64 hexadecimal digits')
  const agents = int('agents', o.agents, 0, 1, 1_000_000)
  const workers = int('workers', o.workers, 1, 1, 64)
  let sourceAddresses: readonly string[] = []
  try {
    const s = o.sourceAddresses
    sourceAddresses = s === undefined ? [] : typeof s === 'string' ? parseSourceAddresses(s) : parseSourceAddresses(s.join(','))
  } catch (e) {
    problems.push((e as Error).message)
  }
  const perProcess = Math.ceil(agents / Math.max(1, workers))
  const fdLimit = openFileLimit()
  if (fdLimit !== undefined && perProcess > fdLimit - FD_HEADROOM) {
    problems.push(
      `agents: ${perProcess} per process is more than this machine's open-file limit (${fdLimit}) allows; use workers ≥ ${Math.ceil(agents / (fdLimit - FD_HEADROOM))}`,
    )
  }
  if (o.tokens === undefined && o.stateDir === undefined) problems.push('tokens: give enrollment tokens, or a stateDir holding enrolled agents')
  const resolved = Object.freeze({
    server,
    tokens: Object.freeze([...tokens]),
    fingerprint,
    agents,
    workers,
    sourceAddresses,
    rampRate: int('rampRate', o.rampRate, 500, 1, 100_000),
    maxHandshakes: int('maxHandshakes', o.maxHandshakes, 1000, 1, 100_000),
    enrollConcurrency: int('enrollConcurrency', o.enrollConcurrency, 8, 1, 256),
    stateDir: o.stateDir === undefined ? undefined : resolve(o.stateDir),
    heartbeatMs: int('heartbeatMs', o.heartbeatMs, 600_000, 1000, 0x7fffffff),
    handshakeTimeoutMs: int('handshakeTimeoutMs', o.handshakeTimeoutMs, 15_000, 100, 600_000),
    statusIntervalMs: int('statusIntervalMs', o.statusIntervalMs, 5000, 100, 3_600_000),
  })
  if (problems.length > 0) throw new SimError('SIM_ARG_INVALID', `invalid simulator options: ${problems.join('; ')}`)
  return resolved
}

/** The soft limit on open files of this process (Linux), or undefined elsewhere. */
export function openFileLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'))
    const n = Number(line?.split(/\s+/)[3])
    return Number.isSafeInteger(n) && n > 0 ? n : undefined
  } catch {
    return undefined
  }
}
