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
 * | PALISADE_LOG_LEVEL     | --log-level      | info                             |
 * | PALISADE_PUBLIC_URL    | --public-url     | none (required if listening on all interfaces) |
 *
 * An empty variable counts as unset. Relative paths resolve against the
 * working directory at startup, so the frozen config holds absolute paths.
 */
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
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
  readonly logLevel: LogLevel
  /** The URL agents and admins reach the server at (no trailing slash), or null when not set. */
  readonly publicUrl: string | null
}

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
  logLevel: { env: 'PALISADE_LOG_LEVEL', flag: 'log-level' },
  publicUrl: { env: 'PALISADE_PUBLIC_URL', flag: 'public-url' },
} as const

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
    const fromFlag = flags[flag]
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
  const logLevel = check<LogLevel>('logLevel', 'info', (v) => {
    if ((LOG_LEVELS as readonly string[]).includes(v)) return v as LogLevel
    throw new Invalid(`must be one of ${LOG_LEVELS.join(', ')}`)
  })
  const publicUrl = check<string | null>('publicUrl', null, parsePublicUrl)
  if (publicUrl === null && ['0.0.0.0', '::'].includes(listen.host) && read('publicUrl') === undefined) {
    errors.push({ path: SETTINGS.publicUrl.env, message: 'is required when listening on all interfaces: agents need an address to reach' })
  }
  if (errors.length > 0) {
    const list = errors.map((e) => `${e.path}: ${e.message}`).join('; ')
    throw new ServerError('SRV_CONFIG_INVALID', `invalid configuration: ${list}`, { errors })
  }
  return deepFreeze({ listen, dataDir, databaseUrl, logLevel, publicUrl })
}

function parseFlags(argv: readonly string[], errors: FieldError[]): Record<string, string | boolean | undefined> {
  const options = Object.fromEntries(Object.values(SETTINGS).map((s) => [s.flag, { type: 'string' as const }]))
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
