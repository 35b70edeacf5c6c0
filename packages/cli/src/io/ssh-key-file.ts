/**
 * OpenSSH public keys for `palisade people`: read from the files the user
 * names (`id_ed25519.pub`, an `authorized_keys`), and named by the
 * fingerprint `ssh-keygen -l` prints (`SHA256:` + unpadded base64 of the
 * SHA-256 of the key blob), so a key can be removed by what users know it as.
 *
 * Only the line shape is checked here (`<type> <base64> [comment]`, no
 * options); the server checks the key itself and names a bad one by index.
 */
import { createHash } from 'node:crypto'
import { CliError } from '../errors.js'
import { quote } from '../validate.js'
import { readFileBounded } from './atomic-file.js'

/** The largest key file read (an authorized_keys of 32 RSA-8192 keys fits). */
export const SSH_KEY_FILE_MAX_BYTES = 64 * 1024

const LINE_RE = /^((?:ssh|ecdsa|sk)-[A-Za-z0-9@.-]{1,64}) ([A-Za-z0-9+/]{16,}={0,2})(?: (.*))?$/

/** The parts of one key line. */
export interface SshKeyLine {
  readonly type: string
  readonly blob: string
  readonly comment: string
}

/**
 * Splits `type blob [comment]`, or undefined when the line is not of that shape.
 *
 * @example
 * parseSshKeyLine('ssh-ed25519 AAAAC3Nza… alice@laptop')?.comment // 'alice@laptop'
 */
export function parseSshKeyLine(line: string): SshKeyLine | undefined {
  const m = LINE_RE.exec(line.trim().replace(/[ \t]+/g, ' '))
  return m === null ? undefined : { type: m[1]!, blob: m[2]!, comment: m[3] ?? '' }
}

/**
 * The `SHA256:…` fingerprint of a key line, as `ssh-keygen -l` prints it.
 *
 * @example
 * sshKeyFingerprint('ssh-ed25519 AAAAC3Nza…') // 'SHA256:7Xq…'
 */
export function sshKeyFingerprint(line: string): string {
  const blob = parseSshKeyLine(line)?.blob ?? ''
  return 'SHA256:' + createHash('sha256').update(Buffer.from(blob, 'base64')).digest('base64').replace(/=+$/, '')
}

/**
 * The keys of a public key file: every line that is not blank or a `#` comment.
 * Throws CLI_ARG_INVALID naming `flag`, the file and the line for a line of another shape.
 *
 * @example
 * const keys = await readSshKeyFile('--ssh-key-file', '/home/alice/.ssh/id_ed25519.pub')
 */
export async function readSshKeyFile(flag: string, path: string): Promise<string[]> {
  const bad = (why: string): CliError => new CliError('CLI_ARG_INVALID', `${flag} ${path}: ${why}`, { hint: 'give an OpenSSH public key file (e.g. ~/.ssh/id_ed25519.pub), never a private key', details: { path } })
  const raw = await readFileBounded(path, SSH_KEY_FILE_MAX_BYTES, { onInvalid: bad, allowSpecial: true })
  if (raw === undefined) throw bad('no such file')
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw)
  } catch {
    throw bad('it is not UTF-8 text')
  }
  if (text.includes('PRIVATE KEY')) throw bad('this is a private key; give the .pub file')
  const keys: string[] = []
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '').trim()
    if (line === '' || line.startsWith('#')) return
    const key = parseSshKeyLine(line)
    if (key === undefined) throw bad(`line ${i + 1} is not "<type> <base64> [comment]" (options before the type are not accepted): ${quote(line, 40)}`)
    keys.push(key.comment === '' ? `${key.type} ${key.blob}` : `${key.type} ${key.blob} ${key.comment}`)
  })
  if (keys.length === 0) throw bad('the file holds no key')
  return keys
}
