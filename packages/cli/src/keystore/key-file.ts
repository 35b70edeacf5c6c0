/**
 * The on-disk format of one encrypted admin key, `<name>.key.json`:
 *
 *     {
 *       "version": 1,
 *       "name": "alice",
 *       "publicKey": "<base64, 32 bytes>",
 *       "kdf": { "alg": "scrypt", "N": 131072, "r": 8, "p": 1, "salt": "<base64, 16 bytes>" },
 *       "cipher": { "alg": "aes-256-gcm", "iv": "<base64, 12 bytes>",
 *                   "ciphertext": "<base64, 32 bytes>", "tag": "<base64, 16 bytes>" },
 *       "createdAt": "2025-01-31T12:00:00.000Z"
 *     }
 *
 * The ciphertext is the 32-byte Ed25519 seed (RFC 8032 §5.1.5) under
 * AES-256-GCM with the key scrypt(passphrase NFC, salt, N, r, p). The
 * additional authenticated data binds the version, name and public key (see
 * `keyFileAad`), so editing either, or copying another key's ciphertext
 * under this name, makes decryption fail.
 *
 * Everything here is parsed before any authentication: the whole file is
 * attacker-controlled until `unlockKey` has checked the tag. In particular
 * `publicKey` as shown by `palisade key show` is only as trustworthy as the
 * keystore directory's permissions until the key is unlocked.
 *
 * Forward compatibility: readers refuse unknown versions and unknown
 * fields. A new field or algorithm means a new version number.
 */
import { fromBase64, toBase64, utf8 } from '@palisade/protocol'
import { CliError } from '../errors.js'
import { isValidName } from '../validate.js'

/** scrypt cost parameters (RFC 7914 §2). */
export interface ScryptParams {
  readonly N: number
  readonly r: number
  readonly p: number
}

/** The parsed content of a key file. Byte fields are decoded. */
export interface KeyFile {
  readonly version: 1
  readonly name: string
  readonly publicKey: Uint8Array
  readonly kdf: ScryptParams & { readonly alg: 'scrypt'; readonly salt: Uint8Array }
  readonly cipher: {
    readonly alg: 'aes-256-gcm'
    readonly iv: Uint8Array
    readonly ciphertext: Uint8Array
    readonly tag: Uint8Array
  }
  readonly createdAt: string
}

export const KEY_FILE_VERSION = 1
export const SEED_BYTES = 32
export const PUBLIC_KEY_BYTES = 32
export const SALT_BYTES = 16
export const IV_BYTES = 12
export const TAG_BYTES = 16

/**
 * Bounds on the scrypt parameters a key file may name. The file is not
 * authenticated before the KDF runs, so without bounds an edited file could
 * make unlocking take gigabytes or hours. The lower bound admits the small
 * N that tests pass explicitly; the default (keystore.ts) is far above it.
 */
export const SCRYPT_BOUNDS = Object.freeze({
  minLog2N: 10,
  maxLog2N: 20,
  maxR: 32,
  maxP: 16,
  /** 128·N·r bytes of memory. */
  maxMemory: 512 * 1024 * 1024,
})

/** Why `params` is out of bounds, or undefined when it is fine. */
export function scryptParamsProblem(params: ScryptParams): string | undefined {
  const { N, r, p } = params
  if (!Number.isSafeInteger(N) || N < 2 ** SCRYPT_BOUNDS.minLog2N || N > 2 ** SCRYPT_BOUNDS.maxLog2N || (N & (N - 1)) !== 0) {
    return `N must be a power of two from 2^${SCRYPT_BOUNDS.minLog2N} to 2^${SCRYPT_BOUNDS.maxLog2N}`
  }
  if (!Number.isSafeInteger(r) || r < 1 || r > SCRYPT_BOUNDS.maxR) return `r must be an integer from 1 to ${SCRYPT_BOUNDS.maxR}`
  if (!Number.isSafeInteger(p) || p < 1 || p > SCRYPT_BOUNDS.maxP) return `p must be an integer from 1 to ${SCRYPT_BOUNDS.maxP}`
  if (128 * N * r > SCRYPT_BOUNDS.maxMemory) return 'N·r needs more than 512 MiB of memory'
  return undefined
}

/**
 * The additional authenticated data of the seed's encryption. Fields are
 * NUL-separated: a name cannot contain NUL, and base64 cannot either, so
 * two different (name, publicKey) pairs never give the same bytes.
 */
export function keyFileAad(name: string, publicKey: Uint8Array): Uint8Array {
  return utf8(`palisade-keystore-v${KEY_FILE_VERSION}\0${name}\0${toBase64(publicKey)}`)
}

/**
 * Formats a key file as pretty JSON with a fixed member order.
 *
 * @example
 * await writeFileAtomic(path, formatKeyFile(file), { overwrite: false })
 */
export function formatKeyFile(file: KeyFile): string {
  const doc = {
    version: file.version,
    name: file.name,
    publicKey: toBase64(file.publicKey),
    kdf: { alg: file.kdf.alg, N: file.kdf.N, r: file.kdf.r, p: file.kdf.p, salt: toBase64(file.kdf.salt) },
    cipher: {
      alg: file.cipher.alg,
      iv: toBase64(file.cipher.iv),
      ciphertext: toBase64(file.cipher.ciphertext),
      tag: toBase64(file.cipher.tag),
    },
    createdAt: file.createdAt,
  }
  return JSON.stringify(doc, null, 2) + '\n'
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v) as unknown
  return proto === Object.prototype || proto === null
}

/**
 * Parses a decoded JSON value as a key file, reporting every bad field at
 * once as CLI_KEYSTORE_CORRUPT naming `path`.
 */
export function parseKeyFile(value: unknown, path: string): KeyFile {
  const problems: string[] = []
  const bad = (why: string): undefined => {
    problems.push(why)
    return undefined
  }
  const exactKeys = (obj: Record<string, unknown>, where: string, keys: readonly string[]): void => {
    for (const k of Object.keys(obj)) if (!keys.includes(k)) bad(`${where}${k} is not a known field`)
  }
  const bytes = (v: unknown, where: string, length: number): Uint8Array | undefined => {
    if (typeof v !== 'string') return bad(`${where} is not a string`)
    let b: Uint8Array
    try {
      b = fromBase64(v, where)
    } catch {
      return bad(`${where} is not canonical base64`)
    }
    return b.length === length ? b : bad(`${where} is not ${length} bytes`)
  }
  const object = (v: unknown, where: string): Record<string, unknown> =>
    isPlainObject(v) ? v : (bad(`${where} is not an object`), {})

  const doc = object(value, 'the document')
  exactKeys(doc, '', ['version', 'name', 'publicKey', 'kdf', 'cipher', 'createdAt'])
  if (doc['version'] !== KEY_FILE_VERSION) bad(`version is not ${KEY_FILE_VERSION}`)
  const name = doc['name']
  if (typeof name !== 'string' || !isValidName(name)) bad('name is not a valid key name')
  const publicKey = bytes(doc['publicKey'], 'publicKey', PUBLIC_KEY_BYTES)

  const kdf = object(doc['kdf'], 'kdf')
  exactKeys(kdf, 'kdf.', ['alg', 'N', 'r', 'p', 'salt'])
  if (kdf['alg'] !== 'scrypt') bad('kdf.alg is not "scrypt"')
  const params = { N: kdf['N'], r: kdf['r'], p: kdf['p'] }
  const paramsProblem =
    typeof params.N === 'number' && typeof params.r === 'number' && typeof params.p === 'number'
      ? scryptParamsProblem(params as ScryptParams)
      : 'N, r and p must be numbers'
  if (paramsProblem !== undefined) bad(`kdf: ${paramsProblem}`)
  const salt = bytes(kdf['salt'], 'kdf.salt', SALT_BYTES)

  const cipher = object(doc['cipher'], 'cipher')
  exactKeys(cipher, 'cipher.', ['alg', 'iv', 'ciphertext', 'tag'])
  if (cipher['alg'] !== 'aes-256-gcm') bad('cipher.alg is not "aes-256-gcm"')
  const iv = bytes(cipher['iv'], 'cipher.iv', IV_BYTES)
  const ciphertext = bytes(cipher['ciphertext'], 'cipher.ciphertext', SEED_BYTES)
  const tag = bytes(cipher['tag'], 'cipher.tag', TAG_BYTES)

  const createdAt = doc['createdAt']
  if (typeof createdAt !== 'string' || !ISO_UTC.test(createdAt) || Number.isNaN(Date.parse(createdAt))) {
    bad('createdAt is not an ISO 8601 UTC time')
  }

  if (problems.length > 0 || publicKey === undefined || salt === undefined || iv === undefined || ciphertext === undefined || tag === undefined) {
    throw keystoreCorrupt(path, problems.join('; '))
  }
  return Object.freeze({
    version: KEY_FILE_VERSION,
    name: name as string,
    publicKey,
    kdf: Object.freeze({ alg: 'scrypt', ...(params as ScryptParams), salt }),
    cipher: Object.freeze({ alg: 'aes-256-gcm', iv, ciphertext, tag }),
    createdAt: createdAt as string,
  })
}

/** CLI_KEYSTORE_CORRUPT naming the file and what is wrong with it. */
export function keystoreCorrupt(path: string, why: string): CliError<'CLI_KEYSTORE_CORRUPT'> {
  return new CliError('CLI_KEYSTORE_CORRUPT', `key file ${path} is corrupt: ${why}`, {
    hint: `move ${path} out of the keystore and restore it from a backup`,
    details: { path },
  })
}
