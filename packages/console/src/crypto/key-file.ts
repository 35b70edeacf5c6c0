/**
 * Opens a CLI key file (`palisade key generate` → `<name>.key.json`, format
 * in packages/cli/src/keystore/key-file.ts) in the browser: scrypt of the
 * passphrase, then AES-256-GCM with the same additional data the CLI binds
 * (version, name, public key). The seed is imported at once as a
 * NON-extractable WebCrypto key and the bytes are overwritten: page script
 * can sign with it, but never read it back.
 *
 * Everything in the file is untrusted until the GCM tag checks; the KDF
 * parameters are bounded before the KDF runs.
 */
import { fromBase64, utf8 } from '@palisade/protocol'
import { scrypt } from './scrypt'
import { importSeed, publicKeyOf } from './ed25519-key'

/** A decrypted key, ready to sign. */
export interface OpenedKey {
  readonly name: string
  readonly publicKey: Uint8Array
  readonly key: CryptoKey
}

const MAX_LOG2N = 18 // 32 MiB·r; the CLI default is 2^17
const FIELDS = ['version', 'name', 'publicKey', 'kdf', 'cipher', 'createdAt']

/** Why a key file cannot be used, in words for the person importing it. */
export class KeyFileError extends Error {
  override readonly name = 'KeyFileError'
}

function bytes(v: unknown, field: string, length: number): Uint8Array {
  if (typeof v !== 'string') throw new KeyFileError(`${field} is missing`)
  let b: Uint8Array
  try {
    b = fromBase64(v, field)
  } catch {
    throw new KeyFileError(`${field} is not base64`)
  }
  if (b.length !== length) throw new KeyFileError(`${field} is not ${length} bytes`)
  return b
}

/**
 * Decrypts `text` (the file's content) with `passphrase`.
 *
 * @example
 * const { name, publicKey, key } = await openKeyFile(await file.text(), passphrase, setProgress)
 */
export async function openKeyFile(text: string, passphrase: string, onProgress?: (f: number) => void): Promise<OpenedKey> {
  let doc: Record<string, unknown>
  try {
    doc = JSON.parse(text) as Record<string, unknown>
  } catch {
    throw new KeyFileError('this is not a key file (not JSON)')
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new KeyFileError('this is not a key file')
  for (const k of Object.keys(doc)) if (!FIELDS.includes(k)) throw new KeyFileError(`unknown field ${k}: is this a key file of a newer CLI?`)
  if (doc['version'] !== 1) throw new KeyFileError('version is not 1')
  const name = doc['name']
  if (typeof name !== 'string' || !/^[A-Za-z0-9._@-]{1,64}$/.test(name)) throw new KeyFileError('name is not a valid key name')
  const publicKey = bytes(doc['publicKey'], 'publicKey', 32)
  const kdf = (doc['kdf'] ?? {}) as Record<string, unknown>
  const cipher = (doc['cipher'] ?? {}) as Record<string, unknown>
  if (kdf['alg'] !== 'scrypt') throw new KeyFileError('kdf.alg is not scrypt')
  if (cipher['alg'] !== 'aes-256-gcm') throw new KeyFileError('cipher.alg is not aes-256-gcm')
  const N = kdf['N']
  const r = kdf['r']
  const p = kdf['p']
  if (typeof N !== 'number' || !Number.isSafeInteger(N) || N < 1024 || N > 2 ** MAX_LOG2N || (N & (N - 1)) !== 0) {
    throw new KeyFileError(`kdf.N must be a power of two from 2^10 to 2^${MAX_LOG2N} in the browser`)
  }
  if (typeof r !== 'number' || !Number.isSafeInteger(r) || r < 1 || r > 16) throw new KeyFileError('kdf.r must be 1 to 16')
  if (typeof p !== 'number' || !Number.isSafeInteger(p) || p < 1 || p > 4) throw new KeyFileError('kdf.p must be 1 to 4')
  if (128 * N * r > 256 * 1024 * 1024) throw new KeyFileError('the key file asks for more than 256 MiB of memory')
  const salt = bytes(kdf['salt'], 'kdf.salt', 16)
  const iv = bytes(cipher['iv'], 'cipher.iv', 12)
  const ciphertext = bytes(cipher['ciphertext'], 'cipher.ciphertext', 32)
  const tag = bytes(cipher['tag'], 'cipher.tag', 16)

  const derived = await scrypt(utf8(passphrase.normalize('NFC')), salt, N, r, p, 32, onProgress)
  const aesKey = await crypto.subtle.importKey('raw', derived as BufferSource, 'AES-GCM', false, ['decrypt'])
  derived.fill(0)
  const aad = utf8(`palisade-keystore-v1\0${name}\0${doc['publicKey'] as string}`)
  const sealed = new Uint8Array(48)
  sealed.set(ciphertext)
  sealed.set(tag, 32)
  let seed: Uint8Array
  try {
    seed = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: iv as BufferSource, additionalData: aad as BufferSource, tagLength: 128 }, aesKey, sealed))
  } catch {
    throw new KeyFileError('wrong passphrase, or the file was altered')
  }
  try {
    const key = await importSeed(seed)
    // the seed must belong to the public key the file names (it is bound by the AAD too)
    const derivedPub = await publicKeyOf(seed)
    if (derivedPub.length !== 32 || !derivedPub.every((b, i) => b === publicKey[i])) throw new KeyFileError('the seed does not match the public key')
    return { name, publicKey, key }
  } finally {
    seed.fill(0)
  }
}
