/**
 * The CLI's settings, `config.json` in the palisade home directory
 * (`--home`, else $PALISADE_HOME, else ~/.palisade):
 *
 *     {
 *       "version": 1,
 *       "server": "https://palisade.example.com",
 *       "orgId": "acme",
 *       "apiToken": "pal_…",
 *       "defaultKey": "alice"
 *     }
 *
 * Every field but `version` is optional. Unknown fields and versions are
 * refused: a typo in a security setting should fail loudly, not be ignored.
 *
 * The API token is a bearer credential. The file is written with mode 0600
 * and refused if other users can read it while it holds a token (like
 * ssh with private keys). In memory the token is a `Secret`, whose string,
 * JSON and inspect forms show only a prefix, so it cannot be printed by
 * accident.
 */
import { promises as fs } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { inspect } from 'node:util'
import { parseJson } from '@palisade/protocol'
import { CliError, ioError } from '../errors.js'
import { ensurePrivateDirectory, readFileBounded, writeFileAtomic } from '../io/atomic-file.js'
import { isValidName, parseServerUrl } from '../validate.js'

export const CONFIG_FILE = 'config.json'
export const CONFIG_VERSION = 1
export const CONFIG_MAX_BYTES = 64 * 1024
export const HOME_ENV = 'PALISADE_HOME'

const ORG_ID = /^[A-Za-z0-9._:@-]{1,128}$/
const API_TOKEN = /^[\x21-\x7e]{16,512}$/

/**
 * A secret string that refuses to be printed: `String(s)`, `JSON.stringify`
 * and `console.log` all show `prefix…`. Call `reveal()` only where the
 * value leaves the process on purpose (an Authorization header).
 */
export class Secret {
  readonly #value: string

  constructor(value: string) {
    this.#value = value
  }

  reveal(): string {
    return this.#value
  }

  /** The first few characters, never more than a quarter of the secret. */
  get prefix(): string {
    return redactToken(this.#value)
  }

  toString(): string {
    return this.prefix
  }

  toJSON(): string {
    return this.prefix
  }

  [inspect.custom](): string {
    return `Secret(${this.prefix})`
  }
}

/** A token shown safely: at most 8 characters, at most a quarter of it, then '…'. */
export function redactToken(token: string): string {
  return token.slice(0, Math.min(8, Math.floor(token.length / 4))) + '…'
}

/** The validated settings. */
export interface CliConfig {
  readonly server?: string
  readonly orgId?: string
  readonly apiToken?: Secret
  readonly defaultKey?: string
}

/**
 * The palisade home directory: the option, else $PALISADE_HOME, else
 * ~/.palisade. Always absolute.
 */
export function resolveHome(option: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  const fromEnv = env[HOME_ENV]
  if (option !== undefined) return resolve(option)
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv)
  return join(homedir(), '.palisade')
}

export function configPath(home: string): string {
  return join(home, CONFIG_FILE)
}

/**
 * Parses a decoded JSON value as the config, reporting every bad field at
 * once as CLI_CONFIG_INVALID naming `path`.
 */
export function parseConfig(value: unknown, path: string): CliConfig {
  const problems: string[] = []
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw configInvalid(path, 'it is not a JSON object')
  const doc = value as Record<string, unknown>
  for (const k of Object.keys(doc)) {
    if (!['version', 'server', 'orgId', 'apiToken', 'defaultKey'].includes(k)) problems.push(`${k} is not a known setting`)
  }
  if (doc['version'] !== CONFIG_VERSION) problems.push(`version is not ${CONFIG_VERSION}`)
  const out: { server?: string; orgId?: string; apiToken?: Secret; defaultKey?: string } = {}
  const text = (k: string, ok: (s: string) => boolean, what: string): string | undefined => {
    const v = doc[k]
    if (v === undefined) return undefined
    if (typeof v === 'string' && ok(v)) return v
    problems.push(`${k} is not ${what}`) // never echo the value: it may be the token
    return undefined
  }
  const server = text('server', isServerUrl, 'an http(s) URL without credentials, query or fragment')
  if (server !== undefined) out.server = parseServerUrl(server)
  const orgId = text('orgId', (s) => ORG_ID.test(s), 'an org id (1 to 128 of A-Z a-z 0-9 . _ : @ -)')
  if (orgId !== undefined) out.orgId = orgId
  const token = text('apiToken', (s) => API_TOKEN.test(s), 'an API token (16 to 512 printable ASCII characters)')
  if (token !== undefined) out.apiToken = new Secret(token)
  const defaultKey = text('defaultKey', isValidName, 'a key name')
  if (defaultKey !== undefined) out.defaultKey = defaultKey
  if (problems.length > 0) throw configInvalid(path, problems.join('; '))
  return Object.freeze(out)
}

/** The config file's text: pretty JSON, fixed member order. */
export function formatConfig(config: CliConfig): string {
  const doc: Record<string, string | number> = { version: CONFIG_VERSION }
  if (config.server !== undefined) doc['server'] = config.server
  if (config.orgId !== undefined) doc['orgId'] = config.orgId
  if (config.apiToken !== undefined) doc['apiToken'] = config.apiToken.reveal()
  if (config.defaultKey !== undefined) doc['defaultKey'] = config.defaultKey
  return JSON.stringify(doc, null, 2) + '\n'
}

/**
 * Reads the config in `home`; `{}` when there is none. A file that other
 * users can read while it holds a token is refused (CLI_CONFIG_INSECURE).
 */
export async function loadConfig(home: string): Promise<CliConfig> {
  const path = configPath(home)
  const raw = await readFileBounded(path, CONFIG_MAX_BYTES, { onInvalid: (why) => configInvalid(path, why) })
  if (raw === undefined) return Object.freeze({})
  let value: unknown
  try {
    value = parseJson(new Uint8Array(raw), CONFIG_MAX_BYTES, 'config file')
  } catch {
    throw configInvalid(path, 'it is not valid JSON')
  }
  const config = parseConfig(value, path)
  if (config.apiToken !== undefined && process.platform !== 'win32') {
    let mode: number
    try {
      mode = (await fs.stat(path)).mode
    } catch (e) {
      throw ioError('inspect', path, e)
    }
    if ((mode & 0o077) !== 0) {
      throw new CliError('CLI_CONFIG_INSECURE', `${path} holds an API token but its mode is ${(mode & 0o777).toString(8)}`, {
        hint: `run \`chmod 600 ${path}\``,
        details: { path },
      })
    }
  }
  return config
}

/**
 * Writes the config in `home` atomically with mode 0600, creating `home`
 * (mode 0700) when needed.
 *
 * @example
 * await saveConfig(home, { ...(await loadConfig(home)), server: 'https://palisade.example.com' })
 */
export async function saveConfig(home: string, config: CliConfig): Promise<void> {
  const path = configPath(home)
  const text = formatConfig(config)
  parseConfig(JSON.parse(text), path) // refuse to write what we would refuse to read
  await ensurePrivateDirectory(home)
  try {
    await writeFileAtomic(path, text, { overwrite: true, mode: 0o600 })
  } catch (e) {
    throw ioError('write', path, e)
  }
}

function isServerUrl(s: string): boolean {
  try {
    parseServerUrl(s)
    return true
  } catch {
    return false
  }
}

function configInvalid(path: string, why: string): CliError<'CLI_CONFIG_INVALID'> {
  return new CliError('CLI_CONFIG_INVALID', `config file ${path} is invalid: ${why}`, {
    hint: `fix or remove ${path}`,
    details: { path },
  })
}
