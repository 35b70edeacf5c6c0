/**
 * A simulated device's Ed25519 key, held as a node:crypto KeyObject (the
 * private half only: the public key and key id are derived once and kept
 * as short strings). Signing through a KeyObject skips the key import that
 * protocol's nodeSign(seed, …) pays on every call.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import { keyId, toBase64 } from '@palisade/protocol'

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_ED25519_PREFIX_LENGTH = 12

/** A device key and the names the server knows it by. */
export interface DeviceKey {
  readonly privateKey: KeyObject
  /** Base64 of the 32-byte public key (as enrolled). */
  readonly publicKey: string
  /** keyId(public key): the DSSE keyid of every report. */
  readonly keyid: string
}

function describe(privateKey: KeyObject): DeviceKey {
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' })
  const pub = new Uint8Array(spki.subarray(SPKI_ED25519_PREFIX_LENGTH))
  return Object.freeze({ privateKey, publicKey: toBase64(pub), keyid: keyId(pub) })
}

/** A fresh key from the OS random source. */
export function generateDeviceKey(): DeviceKey {
  return describe(generateKeyPairSync('ed25519').privateKey)
}

/** The key of a 32-byte seed (as saved in the state directory). */
export function deviceKeyFromSeed(seed: Uint8Array): DeviceKey {
  if (seed.length !== 32) throw new RangeError('an Ed25519 seed is 32 bytes')
  return describe(createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' }))
}

/** The 32-byte seed of a key, for saving. Never logged. */
export function seedOf(key: DeviceKey): Uint8Array {
  return new Uint8Array(key.privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_ED25519_PREFIX.length))
}

/**
 * Signs `message` with the device key (RFC 8032, deterministic).
 *
 * @example
 * const sig = signWith(key, authMessage(nonce, deviceId))
 */
export function signWith(key: DeviceKey, message: Uint8Array): Uint8Array {
  const s = sign(null, message, key.privateKey)
  return new Uint8Array(s.buffer, s.byteOffset, s.length)
}
