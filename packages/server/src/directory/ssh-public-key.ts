/**
 * OpenSSH public key lines (`authorized_keys` without options, as
 * `ssh-keygen` writes `*.pub`): `<type> <base64 blob>[ <comment>]`.
 *
 * The blob is the SSH wire encoding of the key (RFC 4253 §6.6, RFC 5656
 * §3.1, PROTOCOL.u2f for the `sk-` types): length-prefixed strings and
 * mpints. We decode it completely, require the embedded type string to
 * equal the declared one (a mismatch is how a pasted key was tampered with
 * or mangled), check each part's size, refuse trailing bytes and RSA
 * moduli under 2048 bits, and check that ECDSA points lie on their curve.
 * The line is the person's claim; a device that installs it trusts only
 * what its admins signed.
 */
import { createPublicKey } from 'node:crypto'
import { codePoints, textProblem } from './text-rules.js'

/** The key types a person may register. */
export const SSH_KEY_TYPES = [
  'ssh-ed25519',
  'ssh-rsa',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
] as const
export type SshKeyType = (typeof SSH_KEY_TYPES)[number]

/** Smallest RSA modulus accepted, in bits. */
export const MIN_RSA_BITS = 2048
/** Longest comment accepted, in characters. */
export const MAX_SSH_COMMENT = 256
/** Longest blob accepted (base64 characters): an RSA-16384 key is ~2.8 KB. */
const MAX_BLOB_BASE64 = 4096

/** A parsed key line. */
export interface SshPublicKey {
  readonly type: SshKeyType
  /** The base64 blob, canonical: the identity of the key (used to dedupe). */
  readonly blob: string
  readonly comment: string
}

/** The outcome of {@link parseSshPublicKey}: the key, or why it is refused. */
export type SshKeyParse = { readonly ok: true; readonly key: SshPublicKey } | { readonly ok: false; readonly reason: string }

const LINE = /^(\S+)[ \t]+(\S+)(?:[ \t]+(.*))?$/s
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

const CURVES: Readonly<Record<string, { curve: string; crv: string; size: number }>> = {
  'ecdsa-sha2-nistp256': { curve: 'nistp256', crv: 'P-256', size: 32 },
  'ecdsa-sha2-nistp384': { curve: 'nistp384', crv: 'P-384', size: 48 },
  'ecdsa-sha2-nistp521': { curve: 'nistp521', crv: 'P-521', size: 66 },
  'sk-ecdsa-sha2-nistp256@openssh.com': { curve: 'nistp256', crv: 'P-256', size: 32 },
}

/**
 * Parses one public key line; never throws.
 *
 * @example
 * parseSshPublicKey('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIACcXllR4KZQuIAmDepBXjtWbDscLfTw2DLyNc1eC+JO ada@laptop')
 * // { ok: true, key: { type: 'ssh-ed25519', blob: 'AAAAC3…', comment: 'ada@laptop' } }
 */
export function parseSshPublicKey(line: string): SshKeyParse {
  const m = LINE.exec(line.trim())
  if (m === null) return refuse('is not an OpenSSH public key line ("<type> <base64 key> [comment]")')
  const [, type, blob, rawComment] = m as unknown as [string, string, string, string | undefined]
  if (!(SSH_KEY_TYPES as readonly string[]).includes(type)) {
    return refuse(`has key type "${type.slice(0, 40)}"; accepted: ${SSH_KEY_TYPES.join(', ')}`)
  }
  const comment = (rawComment ?? '').trim()
  if (codePoints(comment) > MAX_SSH_COMMENT) return refuse(`has a comment longer than ${MAX_SSH_COMMENT} characters`)
  if (textProblem(comment) !== undefined) return refuse('has control characters or broken Unicode in its comment')
  if (blob.length > MAX_BLOB_BASE64 || !BASE64.test(blob) || blob.length % 4 !== 0) return refuse('has a key that is not valid base64')
  const bytes = Buffer.from(blob, 'base64')
  if (bytes.toString('base64') !== blob) return refuse('has a key that is not canonical base64')
  const problem = checkBlob(type as SshKeyType, bytes)
  if (problem !== undefined) return refuse(problem)
  return { ok: true, key: Object.freeze({ type: type as SshKeyType, blob, comment }) }
}

/**
 * The line as stored: type, blob and comment separated by single spaces.
 *
 * @example
 * formatSshPublicKey({ type: 'ssh-ed25519', blob: 'AAAA…', comment: '' }) // 'ssh-ed25519 AAAA…'
 */
export function formatSshPublicKey(key: SshPublicKey): string {
  return key.comment === '' ? `${key.type} ${key.blob}` : `${key.type} ${key.blob} ${key.comment}`
}

function refuse(reason: string): SshKeyParse {
  return { ok: false, reason }
}

/** Why the blob is not a well-formed key of `type`, or undefined. */
function checkBlob(type: SshKeyType, bytes: Buffer): string | undefined {
  const r = new WireReader(bytes)
  const embedded = r.string()
  if (embedded === undefined) return 'has a truncated key'
  if (embedded.toString('latin1') !== type) return `declares type ${type} but its key is of another type`
  let problem: string | undefined
  if (type === 'ssh-ed25519' || type === 'sk-ssh-ed25519@openssh.com') {
    if (r.string()?.length !== 32) problem = 'has an Ed25519 key that is not 32 bytes'
  } else if (type === 'ssh-rsa') {
    problem = checkRsa(r)
  } else {
    problem = checkEcdsa(type, r)
  }
  if (problem === undefined && type.startsWith('sk-')) {
    const application = r.string()
    if (application === undefined || application.length === 0) problem = 'has a security key without its application string'
  }
  if (problem === undefined && !r.done()) problem = 'has trailing bytes after the key'
  return problem
}

function checkRsa(r: WireReader): string | undefined {
  const e = r.string()
  const n = r.string()
  if (e === undefined || n === undefined) return 'has a truncated RSA key'
  // mpints are two's complement: a leading 0x00 only keeps a high bit positive.
  if (e.length === 0 || (e[0]! & 0x80) !== 0 || n.length === 0 || (n[0]! & 0x80) !== 0) return 'has a malformed RSA key'
  const modulus = n[0] === 0 ? n.subarray(1) : n
  const bits = modulus.length === 0 ? 0 : (modulus.length - 1) * 8 + (32 - Math.clz32(modulus[0]!))
  if (bits < MIN_RSA_BITS) return `has an RSA modulus of ${bits} bits; at least ${MIN_RSA_BITS} are required`
  return undefined
}

function checkEcdsa(type: SshKeyType, r: WireReader): string | undefined {
  const spec = CURVES[type]!
  if (r.string()?.toString('latin1') !== spec.curve) return `has a curve other than ${spec.curve}`
  const point = r.string()
  // SEC 1 §2.3.3 uncompressed point: 0x04 ‖ X ‖ Y.
  if (point === undefined || point.length !== 1 + 2 * spec.size || point[0] !== 0x04) return 'has a malformed ECDSA point'
  try {
    createPublicKey({
      key: { kty: 'EC', crv: spec.crv, x: point.subarray(1, 1 + spec.size).toString('base64url'), y: point.subarray(1 + spec.size).toString('base64url') },
      format: 'jwk',
    })
  } catch {
    return 'has an ECDSA point that is not on its curve'
  }
  return undefined
}

/** Reads SSH wire strings (uint32 big-endian length, then bytes). */
class WireReader {
  readonly #bytes: Buffer
  #at = 0

  constructor(bytes: Buffer) {
    this.#bytes = bytes
  }

  string(): Buffer | undefined {
    if (this.#at + 4 > this.#bytes.length) return undefined
    const length = this.#bytes.readUInt32BE(this.#at)
    if (length > this.#bytes.length - this.#at - 4) return undefined
    const out = this.#bytes.subarray(this.#at + 4, this.#at + 4 + length)
    this.#at += 4 + length
    return out
  }

  done(): boolean {
    return this.#at === this.#bytes.length
  }
}
