/**
 * Seals small secrets the server must be able to read back (the TOTP
 * secret of each admin) under a key that is NOT in the database: a stolen
 * database or backup yields only ciphertext (DESIGN.md A1, stolen backups).
 *
 * AES-256-GCM with a random 96-bit nonce per seal. The associated data
 * binds each ciphertext to what it belongs to (the admin id), so a row
 * cannot be swapped into another admin's row and still open.
 *
 * Sealed text: `v1.<base64url nonce>.<base64url ciphertext ‖ 16-byte tag>`.
 * A future format gets a new version prefix; `open` refuses unknown ones.
 *
 * The key comes from secret-key-file.ts (PALISADE_SECRET_KEY or
 * `<dataDir>/secret.key`).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

/** Bytes of the sealing key. */
export const SECRET_KEY_BYTES = 32

const VERSION = 'v1'
const NONCE_BYTES = 12
const TAG_BYTES = 16

/** A sealed value that does not open: wrong key, wrong binding, or tampered. */
export class SecretBoxError extends Error {
  override readonly name = 'SecretBoxError'
}

/**
 * Seals and opens with one key. `context` is the associated data, e.g.
 * `totp:<admin id>`: opening needs the same context.
 *
 * @example
 * const box = new SecretBox(key)
 * const sealed = box.seal('JBSWY3DPEHPK3PXP', `totp:${adminId}`)
 * box.open(sealed, `totp:${adminId}`) // 'JBSWY3DPEHPK3PXP'
 */
export class SecretBox {
  readonly #key: Buffer

  constructor(key: Uint8Array) {
    if (key.length !== SECRET_KEY_BYTES) throw new RangeError(`a secret box key is ${SECRET_KEY_BYTES} bytes`)
    this.#key = Buffer.from(key)
  }

  /** Encrypts `plaintext` (UTF-8) bound to `context`. */
  seal(plaintext: string, context: string): string {
    const nonce = randomBytes(NONCE_BYTES)
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce)
    cipher.setAAD(Buffer.from(context, 'utf8'))
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()])
    return `${VERSION}.${nonce.toString('base64url')}.${body.toString('base64url')}`
  }

  /** Decrypts a value sealed with this key and `context`; throws SecretBoxError otherwise. */
  open(sealed: string, context: string): string {
    const parts = sealed.split('.')
    if (parts.length !== 3 || parts[0] !== VERSION) throw new SecretBoxError('not a sealed value')
    const nonce = Buffer.from(parts[1]!, 'base64url')
    const body = Buffer.from(parts[2]!, 'base64url')
    // One spelling only: Node's decoder ignores stray characters and unused
    // trailing bits, so two texts could open to the same bytes.
    const canonical = nonce.toString('base64url') === parts[1] && body.toString('base64url') === parts[2]
    if (!canonical || nonce.length !== NONCE_BYTES || body.length < TAG_BYTES) throw new SecretBoxError('not a sealed value')
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, nonce, { authTagLength: TAG_BYTES })
      decipher.setAAD(Buffer.from(context, 'utf8'))
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES))
      return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString('utf8')
    } catch (e) {
      throw new SecretBoxError('the sealed value does not open with this key and context', { cause: e })
    }
  }

  /** Never print the key. */
  toJSON(): string {
    return '[SecretBox]'
  }
}
