/**
 * The local keystore: admins' Ed25519 signing keys, one passphrase-encrypted
 * file per key in a private directory (mode 0700, files 0600).
 *
 * Guarantee G5 (keys stay home) rests here: a seed exists in clear only in
 * the memory of the process that unlocked it, is never written unencrypted,
 * never logged, and never put in an error. Callers that unlock a key should
 * `seed.fill(0)` when they are done with it.
 *
 * What it trusts: the directory's permissions for the public keys shown
 * before unlocking (see key-file.ts); nothing else. A wrong passphrase and
 * a file whose name, public key or ciphertext was altered give the same
 * answer, CLI_KEY_PASSPHRASE: AES-GCM cannot tell them apart. A file that
 * is malformed, or whose content names another key than its file name,
 * is CLI_KEYSTORE_CORRUPT.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, scrypt } from 'node:crypto'
import { promises as fs } from 'node:fs'
import { join } from 'node:path'
import { equalBytes, nodePublicKey, parseJson } from '@palisade/protocol'
import { CliError, ioError } from '../errors.js'
import { checkPrivateDirectory, ensurePrivateDirectory, readFileBounded, writeFileAtomic } from '../io/atomic-file.js'
import { isValidName, quote } from '../validate.js'
import {
  IV_BYTES,
  KEY_FILE_VERSION,
  SALT_BYTES,
  SEED_BYTES,
  TAG_BYTES,
  formatKeyFile,
  keyFileAad,
  keystoreCorrupt,
  parseKeyFile,
  scryptParamsProblem,
  type KeyFile,
  type ScryptParams,
} from './key-file.js'

/**
 * The default cost: 2^17 × 8 × 1 takes 128 MiB and about 0.6 s on a 2020s
 * laptop core, which is what OWASP's scrypt guidance asks for and still
 * quick enough to unlock once per command.
 */
export const DEFAULT_SCRYPT: ScryptParams = Object.freeze({ N: 2 ** 17, r: 8, p: 1 })

/** New passphrases are at least this many characters (code points). */
export const MIN_PASSPHRASE_LENGTH = 12
/** …and at most this many, which bounds the KDF input. */
export const MAX_PASSPHRASE_LENGTH = 1024

/** The largest key file we read; a real one is about 500 bytes. */
export const KEY_FILE_MAX_BYTES = 16 * 1024

export const KEY_FILE_SUFFIX = '.key.json'

/** A source of cryptographically secure random bytes. */
export type RandomSource = (size: number) => Uint8Array

/** What is known about a key without its passphrase. */
export interface KeyInfo {
  readonly name: string
  readonly publicKey: Uint8Array
  /** First 16 hex characters of SHA-256(publicKey). */
  readonly keyId: string
  readonly createdAt: string
  readonly file: string
}

/** An unlocked key. The seed is secret: zero it after use. */
export interface UnlockedKey {
  readonly name: string
  readonly publicKey: Uint8Array
  readonly seed: Uint8Array
}

/** Options of generateKey. */
export interface GenerateKeyOptions {
  /** scrypt cost; DEFAULT_SCRYPT unless given. Tests pass a small N here. */
  readonly scrypt?: ScryptParams
  readonly now?: () => Date
}

/** The path of a key's file. Throws CLI_ARG_INVALID for an invalid name. */
export function keyFilePath(dir: string, name: string): string {
  if (!isValidName(name)) throw new CliError('CLI_ARG_INVALID', `invalid key name ${quote(name)}`)
  return join(dir, name + KEY_FILE_SUFFIX)
}

/**
 * The short id of a public key: the first 16 hex characters of its SHA-256.
 *
 * @example
 * keyIdOf(publicKey) // '3f1c0a9b5d2e7781'
 */
export function keyIdOf(publicKey: Uint8Array): string {
  return createHash('sha256').update(publicKey).digest('hex').slice(0, 16)
}

/**
 * Throws CLI_PASSPHRASE_WEAK unless `passphrase` is fit to protect a new key.
 * Length counts code points of the NFC form, which is what the KDF sees.
 */
export function checkNewPassphrase(passphrase: string): void {
  const length = [...passphrase.normalize('NFC')].length
  if (length < MIN_PASSPHRASE_LENGTH) {
    throw new CliError('CLI_PASSPHRASE_WEAK', `the passphrase is too short: use at least ${MIN_PASSPHRASE_LENGTH} characters`)
  }
  if (length > MAX_PASSPHRASE_LENGTH) {
    throw new CliError('CLI_PASSPHRASE_WEAK', `the passphrase is too long: use at most ${MAX_PASSPHRASE_LENGTH} characters`)
  }
}

/**
 * Creates a new Ed25519 key named `name` in `dir`, encrypted under
 * `passphrase`. Never overwrites: an existing key of that name (or of a name
 * differing only in case, which collides on macOS and Windows) gives
 * CLI_KEY_EXISTS.
 *
 * @example
 * const info = await generateKey(home, 'alice', passphrase)
 * console.log(info.keyId)
 */
export async function generateKey(
  dir: string,
  name: string,
  passphrase: string,
  random: RandomSource = randomBytes,
  options: GenerateKeyOptions = {},
): Promise<KeyInfo> {
  const path = keyFilePath(dir, name)
  checkNewPassphrase(passphrase)
  const params = options.scrypt ?? DEFAULT_SCRYPT
  const problem = scryptParamsProblem(params)
  if (problem !== undefined) throw new RangeError(`scrypt parameters out of bounds: ${problem}`)

  await ensurePrivateDirectory(dir)
  const clash = await findKeyName(dir, name)
  if (clash !== undefined) throw keyExists(clash, dir)

  const seed = randomExactly(random, SEED_BYTES)
  const salt = randomExactly(random, SALT_BYTES)
  const iv = randomExactly(random, IV_BYTES)
  const publicKey = nodePublicKey(seed)
  const key = await deriveKey(passphrase, salt, params)
  let file: KeyFile
  try {
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES })
    cipher.setAAD(keyFileAad(name, publicKey))
    const ciphertext = new Uint8Array(Buffer.concat([cipher.update(seed), cipher.final()]))
    const tag = new Uint8Array(cipher.getAuthTag())
    file = {
      version: KEY_FILE_VERSION,
      name,
      publicKey,
      kdf: { alg: 'scrypt', N: params.N, r: params.r, p: params.p, salt },
      cipher: { alg: 'aes-256-gcm', iv, ciphertext, tag },
      createdAt: (options.now?.() ?? new Date()).toISOString(),
    }
  } finally {
    key.fill(0)
    seed.fill(0)
  }
  try {
    await writeFileAtomic(path, formatKeyFile(file), { overwrite: false, mode: 0o600 })
  } catch (e) {
    if ((e as { code?: unknown }).code === 'EEXIST') throw keyExists(name, dir)
    throw ioError('write', path, e)
  }
  return info(file, path)
}

/**
 * Every key in `dir`, sorted by name; an empty list when `dir` does not
 * exist. A corrupt key file fails the whole listing (CLI_KEYSTORE_CORRUPT
 * naming it): a keystore that silently hides a key is worse.
 */
export async function listKeys(dir: string): Promise<KeyInfo[]> {
  const out: KeyInfo[] = []
  for (const name of await keyNames(dir)) out.push(await loadPublicKey(dir, name))
  return out
}

/**
 * What is known about key `name` without its passphrase. The public key is
 * not authenticated until the key is unlocked (see key-file.ts).
 */
export async function loadPublicKey(dir: string, name: string): Promise<KeyInfo> {
  const { file, path } = await readKeyFile(dir, name)
  return info(file, path)
}

/**
 * Decrypts key `name` with `passphrase`. A wrong passphrase, or a file whose
 * name, public key or ciphertext was altered, gives CLI_KEY_PASSPHRASE.
 *
 * @example
 * const key = await unlockKey(home, 'alice', passphrase)
 * try { signature = nodeSign(key.seed, message) } finally { key.seed.fill(0) }
 */
export async function unlockKey(dir: string, name: string, passphrase: string): Promise<UnlockedKey> {
  const { file, path } = await readKeyFile(dir, name)
  const key = await deriveKey(passphrase, file.kdf.salt, file.kdf)
  let seed: Uint8Array
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, file.cipher.iv, { authTagLength: TAG_BYTES })
    decipher.setAAD(keyFileAad(file.name, file.publicKey))
    decipher.setAuthTag(file.cipher.tag)
    // GCM's update() returns plaintext before the tag is checked: copy it
    // out only once final() has authenticated it, and wipe every buffer
    const head = decipher.update(file.cipher.ciphertext)
    try {
      const tail = decipher.final()
      seed = new Uint8Array(SEED_BYTES)
      seed.set(head)
      seed.set(tail, head.length)
      tail.fill(0)
    } catch {
      throw new CliError('CLI_KEY_PASSPHRASE', `cannot unlock key ${quote(name)}: wrong passphrase (or the key file was altered)`)
    } finally {
      head.fill(0)
    }
  } finally {
    key.fill(0)
  }
  // Only someone who knew the passphrase can have produced this file, but a
  // seed that does not match the public key would sign as someone else.
  if (!equalBytes(nodePublicKey(seed), file.publicKey)) {
    seed.fill(0)
    throw keystoreCorrupt(path, 'the encrypted seed does not belong to the public key')
  }
  return Object.freeze({ name: file.name, publicKey: file.publicKey, seed })
}

/**
 * The name of the key in `dir` that `name` would collide with: the same
 * name, or one differing only in case (one file on macOS and Windows).
 * Undefined when there is none. Reads only the directory listing.
 */
export async function findKeyName(dir: string, name: string): Promise<string | undefined> {
  keyFilePath(dir, name) // validates
  const lower = name.toLowerCase()
  return (await keyNames(dir)).find((n) => n.toLowerCase() === lower)
}

async function readKeyFile(dir: string, name: string): Promise<{ file: KeyFile; path: string }> {
  const path = keyFilePath(dir, name)
  // whoever can write the directory can swap in their own public key, which
  // `key show` would then display as ours
  await checkPrivateDirectory(dir)
  const raw = await readFileBounded(path, KEY_FILE_MAX_BYTES, { onInvalid: (why) => keystoreCorrupt(path, why) })
  if (raw === undefined) {
    throw new CliError('CLI_KEY_NOT_FOUND', `no key named ${quote(name)} in ${dir}`, { details: { name } })
  }
  let value: unknown
  try {
    value = parseJson(new Uint8Array(raw), KEY_FILE_MAX_BYTES, 'key file')
  } catch {
    throw keystoreCorrupt(path, 'it is not valid JSON (truncated?)')
  }
  const file = parseKeyFile(value, path)
  if (file.name !== name) throw keystoreCorrupt(path, `it holds key ${quote(file.name)}, not ${quote(name)}`)
  return { file, path }
}

/** Names of the key files in `dir`, sorted; [] when `dir` does not exist. */
async function keyNames(dir: string): Promise<string[]> {
  let entries: string[]
  try {
    entries = await fs.readdir(dir)
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ENOENT') return []
    throw ioError('list', dir, e)
  }
  return entries
    .filter((f) => f.endsWith(KEY_FILE_SUFFIX))
    .map((f) => f.slice(0, -KEY_FILE_SUFFIX.length))
    .filter(isValidName)
    .sort()
}

async function deriveKey(passphrase: string, salt: Uint8Array, params: ScryptParams): Promise<Buffer> {
  const { N, r, p } = params
  // OpenSSL needs 128·r·(N + p + 2) bytes (B, V and XY); Node's default cap is 32 MiB.
  const maxmem = 128 * r * (N + p + 2) + 1024 * 1024
  return await new Promise((resolve, reject) => {
    scrypt(passphrase.normalize('NFC'), salt, 32, { N, r, p, maxmem }, (err, key) => (err ? reject(err) : resolve(key)))
  })
}

function randomExactly(random: RandomSource, size: number): Uint8Array {
  const b = random(size)
  if (!(b instanceof Uint8Array) || b.length !== size) throw new RangeError(`random source returned ${String(b?.length)} bytes, not ${size}`)
  return b
}

function keyExists(name: string, dir: string): CliError<'CLI_KEY_EXISTS'> {
  return new CliError('CLI_KEY_EXISTS', `a key named ${quote(name)} already exists in ${dir}`, { details: { name } })
}

function info(file: KeyFile, path: string): KeyInfo {
  return Object.freeze({ name: file.name, publicKey: file.publicKey, keyId: keyIdOf(file.publicKey), createdAt: file.createdAt, file: path })
}
