/**
 * Server configuration: read once at startup from flags and environment
 * (flags win), validated in full — every bad setting is reported at once,
 * each naming its variable or flag — then deep-frozen.
 *
 * | variable               | flag             | default                          |
 * | ---------------------- | ---------------- | -------------------------------- |
 * | PALISADE_LISTEN        | --listen         | 127.0.0.1:8080 (host:port)       |
 * | PALISADE_DATA_DIR      | --data-dir       | ./data                           |
 * | PALISADE_DATABASE_URL  | --database-url   | sqlite:<data dir>/palisade.db    |
 * | PALISADE_DATABASE_POOL | (none)           | 10 (4–500): most PostgreSQL connections per server process (each worker has its own) |
 * | PALISADE_LOG_LEVEL     | --log-level      | info                             |
 * | PALISADE_PUBLIC_URL    | --public-url     | none (required if listening on all interfaces) |
 * | PALISADE_SECRET_KEY    | (none: a secret) | none: `<data dir>/secret.key`, made at first start |
 * | PALISADE_REQUEST_TIMEOUT_MS | (none)      | 60000 (1000–600000): a whole HTTP request, headers and body |
 * | PALISADE_HELLO_TIMEOUT_MS   | (none)      | 10000 (500–60000): an agent's hello after the challenge |
 * | PALISADE_PRESENCE_TTL_MS    | (none)      | 30000 (1000–600000): how long this node's heartbeat keeps its agents `online`, on every node (per node) |
 * | PALISADE_BUS_URL       | --bus            | none: one node, in-process bus; `nats://host:port` for several nodes (PostgreSQL only) |
 * | PALISADE_NODE_ID       | --node-id        | random (`node-` + 8 hex digits): this node's name on the bus and in logs |
 * | PALISADE_METRICS_LISTEN | --metrics-listen | none: no /metrics; host:port of a separate Prometheus listener |
 * | PALISADE_WORKERS       | --workers        | 1 (1–64): worker processes sharing the listener (more than 1 needs PostgreSQL and a bus) |
 *
 * PALISADE_WORKERS: one Node.js process runs JavaScript on one core and
 * holds at most the open-file limit of sockets, so a node can run several
 * worker processes on one address (cluster/start-cluster.ts). They
 * coordinate like separate nodes, hence the PostgreSQL and bus
 * requirements: processes on one SQLite file would each keep their own log
 * caches, and an in-process bus does not reach another process. Worker i
 * (from 1) is named `<node id>-w<i>`, so the node id must leave room.
 *
 * PALISADE_DATABASE_POOL is per process: a node with N workers holds up to
 * N times it, and the primary refuses to start when that cannot fit in the
 * server's max_connections (db/connection-budget.ts). The floor of 4 leaves
 * a connection free while checkpoint publications hold theirs
 * (log/org-lock.ts MAX_PUBLISHING).
 *
 * PALISADE_SECRET_KEY is base64 of 32 bytes: the key that seals TOTP
 * secrets (accounts/secret-box.ts). Servers sharing one database must share
 * it. It has no flag, because command lines are visible to every local user.
 *
 * An empty variable counts as unset. Relative paths resolve against the
 * working directory at startup, so the frozen config holds absolute paths.
 */
import { randomBytes } from 'node:crypto'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { CONSOLE_DIR_ENV } from './console/console-dir.js'
import { ServerError, type FieldError } from './errors.js'
import { deepFreeze } from './util/deep-freeze.js'

/** Pino levels accepted by PALISADE_LOG_LEVEL. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
/** A log level. */
export type LogLevel = (typeof LOG_LEVELS)[number]

/** Validated, frozen server configuration. */
export interface ServerConfig {
  /** Where to listen; an IPv6 host is stored without brackets. Port 0 picks a free port. */
  readonly listen: { readonly host: string; readonly port: number }
  /** Absolute path of the data directory. */
  readonly dataDir: string
  /** `sqlite:<absolute path>`, `sqlite::memory:` or `postgres://…`. May hold a password: never log it. */
  readonly databaseUrl: string
  /**
   * Most pooled PostgreSQL connections this process opens (each worker of
   * a cluster opens its own pool of this size); unused with SQLite.
   */
  readonly databasePool: number
  readonly logLevel: LogLevel
  /** The URL agents and admins reach the server at (no trailing slash), or null when not set. */
  readonly publicUrl: string | null
  /**
   * PALISADE_SECRET_KEY: base64 of the 32-byte sealing key, or null to use
   * `<dataDir>/secret.key` (accounts/secret-key-file.ts). A secret: never log it.
   */
  readonly secretKey: string | null
  /**
   * How long a client may take to send one whole HTTP request, headers and
   * body: a request trickled in byte by byte is cut off (408) after this,
   * checked every quarter of it (A4: a hostile client must not hold a
   * connection). Shorter values exist for tests of that bound.
   */
  readonly requestTimeoutMs: number
  /** How long an agent WebSocket may stay open without a valid hello (closed 4408). */
  readonly helloTimeoutMs: number
  /**
   * How long a node's presence heartbeat stays fresh: a device connected to
   * a node that stopped (crashed, cut off from the database) reads offline
   * at most this long after its last heartbeat, written every third of it
   * (presence/presence-timing.ts). Stored with the node's heartbeat, so
   * nodes sharing a database may use different values. Shorter values
   * exist for tests.
   */
  readonly presenceTtlMs: number
  /**
   * The NATS URL (`nats://host:port`, several comma-separated) that carries
   * fan-out between server nodes, or null for one node (in-process bus).
   * Refused with SQLite: several nodes cannot share a SQLite file safely.
   */
  readonly busUrl: string | null
  /** This node's name on the bus (1–64 of A–Z a–z 0–9 . _ -). */
  readonly nodeId: string
  /**
   * Where the Prometheus /metrics listener binds, or null (no metrics).
   * Metrics reveal org activity, so they are served only on this separate
   * address, never on the API listener.
   */
  readonly metricsListen: { readonly host: string; readonly port: number } | null
  /**
   * How many worker processes serve this node (1: this process alone, no
   * cluster). Above 1, `busUrl` is set and `databaseUrl` is PostgreSQL.
   */
  readonly workers: number
}

/** Most worker processes one node may run. */
export const MAX_WORKERS = 64

/** Fewest pooled PostgreSQL connections per process: above log/org-lock.ts MAX_PUBLISHING, which publications may hold at once. */
export const MIN_DATABASE_POOL = 4
/** Most pooled PostgreSQL connections per process. */
export const MAX_DATABASE_POOL = 500

/** Where {@link loadConfig} reads from; each defaults to the process's own. */
export interface ConfigSources {
  readonly env?: Readonly<Record<string, string | undefined>>
  readonly argv?: readonly string[]
  readonly cwd?: string
}

const SETTINGS = {
  listen: { env: 'PALISADE_LISTEN', flag: 'listen' },
  dataDir: { env: 'PALISADE_DATA_DIR', flag: 'data-dir' },
  databaseUrl: { env: 'PALISADE_DATABASE_URL', flag: 'database-url' },
  databasePool: { env: 'PALISADE_DATABASE_POOL', flag: null },
  logLevel: { env: 'PALISADE_LOG_LEVEL', flag: 'log-level' },
  publicUrl: { env: 'PALISADE_PUBLIC_URL', flag: 'public-url' },
  secretKey: { env: 'PALISADE_SECRET_KEY', flag: null },
  requestTimeoutMs: { env: 'PALISADE_REQUEST_TIMEOUT_MS', flag: null },
  helloTimeoutMs: { env: 'PALISADE_HELLO_TIMEOUT_MS', flag: null },
  presenceTtlMs: { env: 'PALISADE_PRESENCE_TTL_MS', flag: null },
  busUrl: { env: 'PALISADE_BUS_URL', flag: 'bus' },
  nodeId: { env: 'PALISADE_NODE_ID', flag: 'node-id' },
  metricsListen: { env: 'PALISADE_METRICS_LISTEN', flag: 'metrics-listen' },
  workers: { env: 'PALISADE_WORKERS', flag: 'workers' },
} as const satisfies Record<string, { env: string; flag: string | null }>

/**
 * Every environment variable the server reads (`palisade server --help`
 * lists them all; a CLI test holds it to that): the settings above, and
 * where the console's files are (console/console-dir.ts, read where they
 * are served). The benchmarks' own PALISADE_BENCH_* are not the server's.
 */
export const CONFIG_VARIABLES: readonly string[] = Object.freeze([...Object.values(SETTINGS).map((s) => s.env), CONSOLE_DIR_ENV])

/**
 * Reads, validates and freezes the configuration.
 * Throws ServerError `SRV_CONFIG_INVALID` whose `errors` name each bad
 * variable (or `--flag`) with the reason.
 *
 * @example
 * const config = loadConfig({ argv: ['--listen', '0.0.0.0:8443', '--public-url', 'https://mdm.example.com'] })
 */
export function loadConfig(sources: ConfigSources = {}): ServerConfig {
  const env = sources.env ?? process.env
  const cwd = sources.cwd ?? process.cwd()
  const errors: FieldError[] = []
  const flags = parseFlags(sources.argv ?? [], errors)
  const read = (key: keyof typeof SETTINGS): { value: string; name: string } | undefined => {
    const { env: name, flag } = SETTINGS[key]
    const fromFlag = flag === null ? undefined : flags[flag]
    if (typeof fromFlag === 'string' && fromFlag !== '') return { value: fromFlag, name: `--${flag}` }
    const fromEnv = env[name]
    return fromEnv === undefined || fromEnv === '' ? undefined : { value: fromEnv, name }
  }
  const check = <T>(key: keyof typeof SETTINGS, fallback: T, parse: (v: string) => T): T => {
    const input = read(key)
    if (input === undefined) return fallback
    try {
      return parse(input.value)
    } catch (e) {
      if (!(e instanceof Invalid)) throw e
      errors.push({ path: input.name, message: e.message })
      return fallback
    }
  }

  const listen = check('listen', { host: '127.0.0.1', port: 8080 }, parseListen)
  const dataDir = check('dataDir', resolve(cwd, 'data'), (v) => resolve(cwd, v))
  const databaseUrl = check('databaseUrl', `sqlite:${resolve(dataDir, 'palisade.db')}`, (v) => parseDatabaseUrl(v, cwd))
  const databasePool = check('databasePool', 10, parseDatabasePool)
  const logLevel = check<LogLevel>('logLevel', 'info', (v) => {
    if ((LOG_LEVELS as readonly string[]).includes(v)) return v as LogLevel
    throw new Invalid(`must be one of ${LOG_LEVELS.join(', ')}`)
  })
  const publicUrl = check<string | null>('publicUrl', null, parsePublicUrl)
  const secretKey = check<string | null>('secretKey', null, parseSecretKey)
  const requestTimeoutMs = check('requestTimeoutMs', 60_000, (v) => parseMillis(v, 1000, 600_000))
  const helloTimeoutMs = check('helloTimeoutMs', 10_000, (v) => parseMillis(v, 500, 60_000))
  const presenceTtlMs = check('presenceTtlMs', 30_000, (v) => parseMillis(v, 1000, 600_000))
  const busUrl = check<string | null>('busUrl', null, parseBusUrl)
  const nodeId = check('nodeId', `node-${randomBytes(4).toString('hex')}`, parseNodeId)
  const metricsListen = check<{ host: string; port: number } | null>('metricsListen', null, parseListen)
  const workers = check('workers', 1, parseWorkers)
  if (busUrl !== null && databaseUrl.startsWith('sqlite:')) {
    errors.push({ path: read('busUrl')!.name, message: 'needs a PostgreSQL database (--database-url postgres://…): several nodes cannot share a SQLite file safely' })
  }
  if (workers > 1) {
    const name = read('workers')!.name
    if (databaseUrl.startsWith('sqlite:')) {
      errors.push({ path: name, message: 'above 1 needs a PostgreSQL database (--database-url postgres://…): worker processes on one SQLite file would each keep their own log caches' })
    }
    if (busUrl === null) {
      errors.push({ path: name, message: 'above 1 needs a bus (--bus nats://host:port): the in-process bus does not reach other worker processes' })
    }
    // Worker names are `<node id>-w<i>`, and must themselves be valid node ids.
    const room = 64 - `-w${workers}`.length
    if (nodeId.length > room) errors.push({ path: read('nodeId')?.name ?? SETTINGS.nodeId.env, message: `must be at most ${room} characters with ${workers} workers (worker names add -w<i>)` })
  }
  if (publicUrl === null && ['0.0.0.0', '::'].includes(listen.host) && read('publicUrl') === undefined) {
    errors.push({ path: SETTINGS.publicUrl.env, message: 'is required when listening on all interfaces: agents need an address to reach' })
  }
  if (errors.length > 0) {
    const list = errors.map((e) => `${e.path}: ${e.message}`).join('; ')
    throw new ServerError('SRV_CONFIG_INVALID', `invalid configuration: ${list}`, { errors })
  }
  return deepFreeze({ listen, dataDir, databaseUrl, databasePool, logLevel, publicUrl, secretKey, requestTimeoutMs, helloTimeoutMs, presenceTtlMs, busUrl, nodeId, metricsListen, workers })
}

function parseFlags(argv: readonly string[], errors: FieldError[]): Record<string, string | boolean | undefined> {
  const flags = Object.values(SETTINGS).flatMap((s) => (s.flag === null ? [] : [s.flag]))
  const options = Object.fromEntries(flags.map((f) => [f, { type: 'string' as const }]))
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values
  } catch (e) {
    errors.push({ path: 'argv', message: e instanceof Error ? e.message : String(e) })
    return {}
  }
}

/** A setting's reason for refusal; collected by loadConfig, never escapes it. */
class Invalid extends Error {}

function parseListen(v: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(v)
  const port = Number(m?.[3])
  if (m === null || port > 65535) throw new Invalid('must be host:port (IPv6 as [addr]:port), port 0–65535')
  return { host: m[1] ?? m[2] ?? '', port }
}

function parseDatabaseUrl(v: string, cwd: string): string {
  if (v.startsWith('sqlite:')) {
    const path = v.slice('sqlite:'.length)
    if (path === '') throw new Invalid('sqlite: needs a file path, as in sqlite:/var/lib/palisade/palisade.db')
    return path === ':memory:' ? v : `sqlite:${resolve(cwd, path)}`
  }
  if (/^postgres(ql)?:\/\//.test(v)) {
    if (URL.canParse(v) && new URL(v).hostname !== '') return v
    throw new Invalid('is not a valid postgres:// URL')
  }
  throw new Invalid('must start with sqlite: or postgres://')
}

function parsePublicUrl(v: string): string {
  if (!URL.canParse(v)) throw new Invalid('must be an absolute http(s) URL')
  const u = new URL(v)
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Invalid('must be an http(s) URL')
  if (u.username !== '' || u.password !== '' || u.search !== '' || v.includes('#')) {
    throw new Invalid('must not carry credentials, a query or a fragment')
  }
  return u.href.replace(/\/+$/, '')
}

// The value is a secret: messages never echo it.
function parseSecretKey(v: string): string {
  const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(v) && v.length % 4 === 0 ? Buffer.from(v, 'base64') : undefined
  if (bytes === undefined || bytes.length !== 32) throw new Invalid('must be base64 of exactly 32 bytes (openssl rand -base64 32)')
  return bytes.toString('base64')
}

// Comma-separated NATS server URLs; credentials are refused (they would
// sit on a command line), TLS is nats:// with the server's TLS or tls://.
function parseBusUrl(v: string): string {
  const parts = v.split(',')
  if (parts.length > 16) throw new Invalid('at most 16 comma-separated nats:// URLs')
  for (const part of parts) {
    const u = URL.canParse(part) ? new URL(part) : undefined
    if (u === undefined || (u.protocol !== 'nats:' && u.protocol !== 'tls:') || u.hostname === '') {
      throw new Invalid('must be nats://host:port (several separated by commas)')
    }
    if (u.username !== '' || u.password !== '' || (u.pathname !== '' && u.pathname !== '/') || u.search !== '' || part.includes('#')) {
      throw new Invalid('must be nats://host:port without credentials, path, query or fragment')
    }
  }
  return parts.join(',')
}

function parseNodeId(v: string): string {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(v)) throw new Invalid('must be 1 to 64 of A–Z a–z 0–9 . _ -')
  return v
}

function parseWorkers(v: string): number {
  const n = /^[1-9]\d?$/.test(v) ? Number(v) : NaN
  if (!(n <= MAX_WORKERS)) throw new Invalid(`must be a whole number of worker processes from 1 to ${MAX_WORKERS}`)
  return n
}

function parseDatabasePool(v: string): number {
  const n = /^\d{1,3}$/.test(v) ? Number(v) : NaN
  if (!(n >= MIN_DATABASE_POOL && n <= MAX_DATABASE_POOL)) {
    throw new Invalid(`must be a whole number of connections from ${MIN_DATABASE_POOL} to ${MAX_DATABASE_POOL}`)
  }
  return n
}

function parseMillis(v: string, min: number, max: number): number {
  const n = /^\d{1,7}$/.test(v) ? Number(v) : NaN
  if (!(n >= min && n <= max)) throw new Invalid(`must be a whole number of milliseconds from ${min} to ${max}`)
  return n
}
