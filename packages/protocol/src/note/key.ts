/**
 * Signed-note keys (c2sp.org/signed-note, "Signatures" and "Verifier keys"),
 * in the string forms of Go's golang.org/x/mod/sumdb/note, so that keys made
 * by `note.GenerateKey` work here unchanged and ours work there:
 *
 *     verifier key  <name>+<hex8 key ID>+base64(type ‖ public key)
 *     signer key    PRIVATE+KEY+<name>+<hex8 key ID>+base64(type ‖ seed)
 *     key ID        SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4], big-endian
 *
 * Guarantees: a Verifier or Signer only exists for a well-formed name and a
 * key ID that matches its key, so a typo in a trust root fails at load time,
 * not as a silent "no known signature" later. `verify` never throws on any
 * input (only a provider without synchronous Ed25519 could make it throw).
 *
 * Trusts: the key strings themselves (they are trust roots, supplied by the
 * operator, never read from a note), and the crypto provider.
 */
import { concat, fromBase64, isWellFormedString, toBase64, utf8 } from '../bytes.js'
import { fail } from '../errors.js'
import { ED25519_PUBLIC_KEY_LENGTH, ED25519_SEED_LENGTH } from '../crypto/ed25519.js'
import { cryptoProvider, type CryptoProvider } from '../crypto/provider.js'

/** Signature type byte of plain Ed25519 note signatures (signed-note §"Signature types"). */
export const SIG_TYPE_ED25519 = 0x01

/** Checks signatures by one key; the note layer finds it by (name, keyHash). */
export interface Verifier {
  readonly name: string
  /** The 32-bit key ID as an unsigned integer. */
  readonly keyHash: number
  /** Signature type byte (0x01 Ed25519, 0x04 cosignature/v1, ...). */
  readonly type: number
  readonly publicKey: Uint8Array
  /** True when `sig` (the bytes after the key ID) signs `msg`; never throws. */
  verify(msg: Uint8Array, sig: Uint8Array): boolean
}

/** Makes signatures with one key. Async because WebCrypto signing is. */
export interface Signer {
  readonly name: string
  readonly keyHash: number
  /** The signature bytes that follow the key ID in a signature line. */
  sign(msg: Uint8Array): Promise<Uint8Array>
}

// Go's unicode.IsSpace, code point for code point, so we refuse exactly the
// spaces Go refuses. (JavaScript's \s differs: it has U+FEFF but not U+0085.)
const SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f]/

/**
 * True for a usable key name: non-empty, well-formed UTF-8, no Unicode space
 * and no '+' (signed-note §"Format"). We also refuse C0 control characters:
 * Go accepts them in a key string, but no note may contain them, so such a
 * key could never verify anything.
 *
 * @example
 * isValidKeyName('example.com/log') // true
 * isValidKeyName('a b')             // false
 */
export function isValidKeyName(name: string): boolean {
  return name !== '' && isWellFormedString(name) && !name.includes('+') && !SPACE.test(name) && !CONTROL.test(name)
}

/**
 * The key ID: the first four bytes of SHA-256(name ‖ 0x0A ‖ type ‖ key),
 * read big-endian (signed-note §"Signatures"), as an unsigned integer.
 *
 * @example
 * keyHash('PeterNeumann', 0x01, pub).toString(16) // 'c74f20a3'
 */
export function keyHash(name: string, type: number, publicKey: Uint8Array, crypto?: CryptoProvider): number {
  const h = cryptoProvider(crypto).sha256(concat(utf8(name), Uint8Array.of(0x0a, type), publicKey))
  return ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0
}

/**
 * The key ID as 8 lower-case hex digits, as it appears in key strings.
 *
 * @example
 * keyHashHex(0x033de0ae) // '033de0ae'
 */
export function keyHashHex(hash: number): string {
  return hash.toString(16).padStart(8, '0')
}

/** A verifier key split into its parts: an Ed25519-based key of the expected type, its key ID checked. */
export interface DecodedVerifierKey {
  readonly name: string
  readonly keyHash: number
  readonly type: number
  readonly publicKey: Uint8Array
}

/**
 * Parses `<name>+<hex8>+<base64(type ‖ key)>`, checks the type byte against
 * `type` and then the key ID. Only the first two '+' separate fields: the
 * base64 part may itself contain '+'.
 * Strict where Go is lenient (lower-case hex, canonical padded base64): a key
 * has one spelling, which every key string Go emits already uses.
 *
 * @example
 * decodeVerifierKey('PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', 0x01).publicKey.length // 32
 */
export function decodeVerifierKey(vkey: string, type: number, crypto?: CryptoProvider): DecodedVerifierKey {
  const a = vkey.indexOf('+')
  const b = a < 0 ? -1 : vkey.indexOf('+', a + 1)
  if (b < 0) fail('PROTO_KEY_INVALID', 'verifier key is not <name>+<hash>+<key>')
  const name = vkey.slice(0, a)
  const [hash, t, key] = decodeHashAndKey(name, vkey.slice(a + 1, b), vkey.slice(b + 1), 'verifier key')
  // The type comes first: other types (ECDSA 0x02) compute the key ID another way.
  if (t !== type) fail('PROTO_KEY_INVALID', `verifier key type 0x${t.toString(16).padStart(2, '0')} is not 0x${type.toString(16).padStart(2, '0')}`)
  if (key.length !== ED25519_PUBLIC_KEY_LENGTH) fail('PROTO_KEY_INVALID', 'verifier key is not a 32-byte Ed25519 key')
  if (keyHash(name, type, key, crypto) !== hash) fail('PROTO_KEY_INVALID', `verifier key ${name}+${keyHashHex(hash)} has the wrong key hash`)
  return Object.freeze({ name, keyHash: hash, type, publicKey: key })
}

function decodeHashAndKey(name: string, hex: string, b64: string, what: string): [number, number, Uint8Array] {
  if (!isValidKeyName(name)) fail('PROTO_KEY_INVALID', `${what} has an invalid name`)
  if (!/^[0-9a-f]{8}$/.test(hex)) fail('PROTO_KEY_INVALID', `${what} hash is not 8 lower-case hex digits`)
  let raw: Uint8Array
  try {
    raw = fromBase64(b64)
  } catch {
    return fail('PROTO_KEY_INVALID', `${what} key is not canonical base64`)
  }
  if (raw.length < 2) fail('PROTO_KEY_INVALID', `${what} has no key material`)
  return [parseInt(hex, 16), raw[0]!, raw.subarray(1)]
}

/**
 * The verifier key string for an Ed25519 public key, as Go's
 * `note.NewEd25519VerifierKey` writes it.
 *
 * @example
 * formatVerifierKey('PeterNeumann', pub) // 'PeterNeumann+c74f20a3+ARpc2Qc…'
 */
export function formatVerifierKey(name: string, publicKey: Uint8Array, crypto?: CryptoProvider): string {
  return encodeVerifierKey(name, SIG_TYPE_ED25519, publicKey, crypto)
}

/**
 * `<name>+<hex8>+base64(type ‖ key)` for an Ed25519-based key of any type;
 * checks the name and the key length.
 *
 * @example
 * encodeVerifierKey('example.org/witness', 0x04, pub) // 'example.org/witness+cacf2e50+BGbg…'
 */
export function encodeVerifierKey(name: string, type: number, publicKey: Uint8Array, crypto?: CryptoProvider): string {
  if (!isValidKeyName(name)) fail('PROTO_KEY_INVALID', 'invalid key name')
  if (publicKey.length !== ED25519_PUBLIC_KEY_LENGTH) fail('PROTO_KEY_INVALID', 'an Ed25519 public key is 32 bytes')
  const h = keyHash(name, type, publicKey, crypto)
  return `${name}+${keyHashHex(h)}+${toBase64(concat(Uint8Array.of(type), publicKey))}`
}

/**
 * A Verifier for an Ed25519 (type 0x01) verifier key, like Go's
 * `note.NewVerifier`. Other types are refused, among them cosignature/v1
 * (0x04) keys: those name witnesses, see `witnessVerifierFromString`.
 *
 * @example
 * const v = verifierFromString('PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW')
 * v.keyHash // 0xc74f20a3
 */
export function verifierFromString(vkey: string, crypto?: CryptoProvider): Verifier {
  const k = decodeVerifierKey(vkey, SIG_TYPE_ED25519, crypto)
  return ed25519Verifier(k.name, k.publicKey, crypto)
}

/**
 * A Verifier for a raw 32-byte Ed25519 public key under a name.
 *
 * @example
 * ed25519Verifier('example.com/log', pub).type // 1
 */
export function ed25519Verifier(name: string, publicKey: Uint8Array, crypto?: CryptoProvider): Verifier {
  if (!isValidKeyName(name)) fail('PROTO_KEY_INVALID', 'invalid key name')
  if (publicKey.length !== ED25519_PUBLIC_KEY_LENGTH) fail('PROTO_KEY_INVALID', 'an Ed25519 public key is 32 bytes')
  const c = cryptoProvider(crypto)
  const pub = publicKey.slice()
  return Object.freeze({
    name,
    keyHash: keyHash(name, SIG_TYPE_ED25519, pub, c),
    type: SIG_TYPE_ED25519,
    publicKey: pub,
    verify: (msg: Uint8Array, sig: Uint8Array) => c.verify(pub, msg, sig),
  })
}

/**
 * A Signer for an x/mod signer key (`PRIVATE+KEY+name+hash+key`), like Go's
 * `note.NewSigner`: the public key is derived and must match the key hash.
 * Async because deriving a public key is async under WebCrypto. Errors never
 * quote the key string, which is a secret.
 *
 * @example
 * const s = await signerFromString('PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz')
 * await sign('hello\n', [s])
 */
export async function signerFromString(skey: string, crypto?: CryptoProvider): Promise<Signer> {
  const parts: string[] = []
  let rest = skey
  for (let i = 0; i < 4; i++) {
    const j = rest.indexOf('+')
    if (j < 0) fail('PROTO_KEY_INVALID', 'signer key is not PRIVATE+KEY+<name>+<hash>+<key>')
    parts.push(rest.slice(0, j))
    rest = rest.slice(j + 1)
  }
  const [p1, p2, name, hex] = parts as [string, string, string, string]
  if (p1 !== 'PRIVATE' || p2 !== 'KEY') fail('PROTO_KEY_INVALID', 'signer key does not start with PRIVATE+KEY+')
  const [hash, type, seed] = decodeHashAndKey(name, hex, rest, 'signer key')
  if (type !== SIG_TYPE_ED25519) fail('PROTO_KEY_INVALID', `signer key type 0x${type.toString(16)} is not Ed25519 (0x01)`)
  const signer = await ed25519Signer(name, seed, crypto)
  if (signer.keyHash !== hash) fail('PROTO_KEY_INVALID', `signer key for ${name} has the wrong key hash`)
  return signer
}

/**
 * A Signer for a raw 32-byte Ed25519 seed (RFC 8032 private key) under a name.
 *
 * @example
 * const s = await ed25519Signer('example.com/log', seed)
 */
export async function ed25519Signer(name: string, seed: Uint8Array, crypto?: CryptoProvider): Promise<Signer> {
  if (!isValidKeyName(name)) fail('PROTO_KEY_INVALID', 'invalid key name')
  if (seed.length !== ED25519_SEED_LENGTH) fail('PROTO_KEY_INVALID', 'an Ed25519 seed is 32 bytes')
  const c = cryptoProvider(crypto)
  const key = seed.slice()
  const pub = await c.ed25519.publicKey(key)
  return Object.freeze({
    name,
    keyHash: keyHash(name, SIG_TYPE_ED25519, pub, c),
    sign: (msg: Uint8Array) => c.ed25519.sign(key, msg),
  })
}

/**
 * The x/mod signer key string for an Ed25519 seed, as Go's `note.GenerateKey`
 * writes it. The result is a secret. Generate the seed with a CSPRNG.
 *
 * @example
 * await formatSignerKey('PeterNeumann', seed) // 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALV…'
 */
export async function formatSignerKey(name: string, seed: Uint8Array, crypto?: CryptoProvider): Promise<string> {
  const s = await ed25519Signer(name, seed, crypto)
  return `PRIVATE+KEY+${name}+${keyHashHex(s.keyHash)}+${toBase64(concat(Uint8Array.of(SIG_TYPE_ED25519), seed))}`
}
