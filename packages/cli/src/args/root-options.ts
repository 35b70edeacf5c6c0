/**
 * The options of `palisade org init` that describe the org root: admins
 * (`NAME=BASE64PUB`), thresholds (`command=2,policy=2,root=2,device=1`, or
 * one number for all four) and witnesses (`VKEY@URL`). Each parser checks
 * its value completely and throws CLI_ARG_INVALID with what is accepted.
 */
import { ACTION_KINDS, ORG_ID_RE, cosignature, fromBase64, isProtocolError, parseMonitorUrl, type ActionKind } from '@palisade/protocol'
import { CliError } from '../errors.js'
import { parseServerUrl, quote } from '../validate.js'

/** Admin names in a root: 1 to 64 of A-Z a-z 0-9 . _ @ - (protocol root.ts). */
export const ADMIN_NAME_RE = /^[A-Za-z0-9._@-]{1,64}$/

/** An admin as named on the command line. */
export interface AdminSpec {
  readonly name: string
  readonly publicKey: Uint8Array
}

/** A witness: its cosignature/v1 verifier key and where the server reaches it. */
export interface WitnessSpec {
  readonly key: string
  readonly url: string
}

/**
 * Parses an org id (`--org`): 1 to 63 of a-z 0-9 -, starting with a letter
 * or digit (protocol ORG_ID_RE).
 */
export function parseOrgId(value: string): string {
  if (!ORG_ID_RE.test(value)) {
    throw new CliError('CLI_ARG_INVALID', `invalid org id ${quote(value)}: 1 to 63 of a-z 0-9 -, starting with a letter or digit`)
  }
  return value
}

/**
 * Parses `--admin NAME=BASE64PUB` (a 32-byte Ed25519 public key).
 *
 * @example
 * parseAdminOption('alice=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=')
 */
export function parseAdminOption(value: string): AdminSpec {
  const eq = value.indexOf('=')
  const name = eq < 0 ? '' : value.slice(0, eq)
  const invalid = (why: string): never => {
    throw new CliError('CLI_ARG_INVALID', `invalid --admin ${quote(value)}: ${why}`, {
      hint: 'give NAME=BASE64PUB, e.g. --admin alice=<the public key `palisade key show alice` prints>, or use --admin-key <key name>',
    })
  }
  if (eq < 0) return invalid('expected NAME=BASE64PUB')
  if (!ADMIN_NAME_RE.test(name)) invalid('the name is 1 to 64 of A-Z a-z 0-9 . _ @ -')
  let publicKey: Uint8Array
  try {
    publicKey = fromBase64(value.slice(eq + 1))
  } catch {
    return invalid('the public key is not standard base64')
  }
  if (publicKey.length !== 32) invalid('an Ed25519 public key is 32 bytes')
  return { name, publicKey }
}

/**
 * Parses a `--threshold` value into counts per kind: `KIND=N,…` (each kind
 * at most once, N from 1 to 99), or one number for all kinds. Shared by org
 * init (all four kinds) and root rotate (the kinds that change), which
 * differ only in `hint` and in whether a kind may be left out.
 *
 * @example
 * parseKindCounts('root=3', 'give KIND=N') // { root: 3 }
 */
export function parseKindCounts(value: string, hint: string): Partial<Record<ActionKind, number>> {
  const invalid = (why: string): never => {
    throw new CliError('CLI_ARG_INVALID', `invalid --threshold ${quote(value)}: ${why}`, { hint })
  }
  const count = (s: string): number => (/^[1-9]\d?$/.test(s) ? Number(s) : invalid(`${quote(s)} is not a number from 1 to 99`))
  if (/^\d+$/.test(value)) {
    const n = count(value)
    return Object.fromEntries(ACTION_KINDS.map((k) => [k, n])) as Record<ActionKind, number>
  }
  const out: Partial<Record<ActionKind, number>> = {}
  for (const part of value.split(',')) {
    const [kind, n, extra] = part.trim().split('=')
    if (extra !== undefined || n === undefined) return invalid(`${quote(part)} is not KIND=N`)
    if (!(ACTION_KINDS as readonly string[]).includes(kind!)) return invalid(`unknown kind ${quote(kind!)} (kinds: ${ACTION_KINDS.join(', ')})`)
    if (out[kind as ActionKind] !== undefined) return invalid(`${kind} is given twice`)
    out[kind as ActionKind] = count(n)
  }
  return out
}

/**
 * Parses `--threshold`: `command=2,policy=2,root=2,device=1` (all four
 * kinds), or one number for all of them.
 *
 * @example
 * parseThresholdsOption('2') // { command: 2, policy: 2, root: 2, device: 2 }
 */
export function parseThresholdsOption(value: string): Readonly<Record<ActionKind, number>> {
  const hint = 'for example --threshold command=2,policy=2,root=2,device=1 (or --threshold 2 for all four)'
  const out = parseKindCounts(value, hint)
  const missing = ACTION_KINDS.filter((k) => out[k] === undefined)
  if (missing.length > 0) throw new CliError('CLI_ARG_INVALID', `invalid --threshold ${quote(value)}: missing ${missing.join(', ')}`, { hint })
  return out as Record<ActionKind, number>
}

/**
 * Parses `--witness VKEY@URL`: a cosignature/v1 verifier key
 * (`<name>+<hex8>+<base64>`) and the witness's http(s) URL. The '@' that
 * separates them is the first one after the key's base64, which has none.
 *
 * @example
 * parseWitnessOption('w1.example+cacf2e50+BGbg…@https://w1.example')
 */
export function parseWitnessOption(value: string): WitnessSpec {
  const invalid = (why: string): never => {
    throw new CliError('CLI_ARG_INVALID', `invalid --witness ${quote(value)}: ${why}`, {
      hint: 'give VKEY@URL: the verifier key the witness printed at its first start, then @ and its URL',
    })
  }
  const a = value.indexOf('+')
  const b = a < 0 ? -1 : value.indexOf('+', a + 1)
  const at = b < 0 ? -1 : value.indexOf('@', b)
  if (at < 0) return invalid('expected VKEY@URL')
  const key = value.slice(0, at)
  try {
    cosignature.witnessVerifierFromString(key)
  } catch (e) {
    return invalid(`the key is not a cosignature/v1 verifier key (${(e as Error).message})`)
  }
  let url: string
  try {
    url = parseServerUrl(value.slice(at + 1))
  } catch (e) {
    return invalid((e as Error).message)
  }
  return { key, url }
}

/**
 * Parses `--monitor-url <url>`: where agents also send every rejection and
 * alert (protocol parseMonitorUrl: https, or http for loopback only; no
 * trailing slash, query or fragment).
 *
 * @example
 * parseMonitorUrlOption('https://monitor.example.com/acme') // 'https://monitor.example.com/acme'
 */
export function parseMonitorUrlOption(value: string): string {
  try {
    return parseMonitorUrl(value, '--monitor-url')
  } catch (e) {
    if (!isProtocolError(e)) throw e
    throw new CliError('CLI_ARG_INVALID', `invalid --monitor-url ${quote(value)}: ${e.message}`, {
      hint: 'give the base URL of a monitor (agents POST to <url>/palisade/v1/reports), e.g. https://monitor.example.com',
    })
  }
}
