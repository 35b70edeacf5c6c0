/**
 * Pinned root fingerprints, `pins.json` in the palisade home directory:
 *
 *     { "version": 1, "roots": { "acme": "<64 hex digits>" } }
 *
 * A pin is the one thing the CLI trusts about an org without asking the
 * server: the SHA-256 of root v1's payload, computed here by
 * `palisade org init` or typed in by the admin (`palisade login
 * --fingerprint`). Commands that must not take the server's word for the
 * org's root (`log audit`, `root show`, `token create`) start from it.
 *
 * The file lives in the private home directory (0700) and is written
 * atomically with mode 0600; unknown fields and versions are refused.
 */
import { FINGERPRINT_RE, ORG_ID_RE, parseJson } from '@palisade/protocol'
import { join } from 'node:path'
import { CliError, ioError } from '../errors.js'
import { checkPrivateDirectory, ensurePrivateDirectory, readFileBounded, writeFileAtomic } from '../io/atomic-file.js'
import { quote } from '../validate.js'

export const PINS_FILE = 'pins.json'
const PINS_MAX_BYTES = 256 * 1024

/** Every pin in `home`, by org; {} when there is no file. */
export async function loadPins(home: string): Promise<Readonly<Record<string, string>>> {
  const path = join(home, PINS_FILE)
  const invalid = (why: string): CliError =>
    new CliError('CLI_CONFIG_INVALID', `${path} is invalid: ${why}`, { hint: `fix or remove ${path}`, details: { path } })
  await checkPrivateDirectory(home)
  const raw = await readFileBounded(path, PINS_MAX_BYTES, { onInvalid: invalid })
  if (raw === undefined) return {}
  let doc: unknown
  try {
    doc = parseJson(new Uint8Array(raw), PINS_MAX_BYTES, 'pins file')
  } catch {
    throw invalid('it is not valid JSON')
  }
  const o = (typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? doc : {}) as Record<string, unknown>
  if (o['version'] !== 1 || Object.keys(o).some((k) => k !== 'version' && k !== 'roots')) throw invalid('it is not a version 1 pins file')
  const roots = o['roots']
  if (typeof roots !== 'object' || roots === null || Array.isArray(roots)) throw invalid('roots is not an object')
  const out: Record<string, string> = {}
  for (const [org, fp] of Object.entries(roots)) {
    if (!ORG_ID_RE.test(org) || typeof fp !== 'string' || !FINGERPRINT_RE.test(fp)) throw invalid(`the pin of ${quote(org)} is not an org id and a fingerprint`)
    out[org] = fp
  }
  return Object.freeze(out)
}

/** The pinned fingerprint of `org`, if any. */
export async function loadPin(home: string, org: string): Promise<string | undefined> {
  return (await loadPins(home))[org]
}

/** Pins `fingerprint` for `org`, replacing an earlier pin of that org. */
export async function savePin(home: string, org: string, fingerprint: string): Promise<void> {
  if (!FINGERPRINT_RE.test(fingerprint)) throw new RangeError('not a root fingerprint')
  const roots = { ...(await loadPins(home)), [org]: fingerprint }
  const path = join(home, PINS_FILE)
  await ensurePrivateDirectory(home)
  try {
    await writeFileAtomic(path, JSON.stringify({ version: 1, roots }, null, 2) + '\n', { overwrite: true, mode: 0o600 })
  } catch (e) {
    throw ioError('write', path, e)
  }
}

/**
 * Parses a `--fingerprint` value: 64 hex digits (upper case, spaces and
 * colons are accepted and dropped, so a fingerprint read aloud or copied
 * from a grouped display works).
 *
 * @example
 * parseFingerprint('9F86 D081 …') // '9f86d081…'
 */
export function parseFingerprint(value: string): string {
  const fp = value.replace(/[\s:]/g, '').toLowerCase()
  if (!FINGERPRINT_RE.test(fp)) {
    throw new CliError('CLI_ARG_INVALID', `invalid fingerprint ${quote(value)}: a root fingerprint is 64 hex digits`, {
      hint: 'copy the fingerprint `palisade org init` printed (it is also in every install command)',
    })
  }
  return fp
}

/**
 * The fingerprint to check `org` against: `--fingerprint` when given, else
 * the pin; CLI_FINGERPRINT_REQUIRED when there is neither.
 */
export async function requirePin(home: string, org: string, option: string | undefined): Promise<string> {
  if (option !== undefined) return option
  const pin = await loadPin(home, org)
  if (pin === undefined) throw new CliError('CLI_FINGERPRINT_REQUIRED', `no root fingerprint is pinned for org ${quote(org)} in ${home}`)
  return pin
}
