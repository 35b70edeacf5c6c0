/**
 * Producing DSSE envelopes. Signing happens where the private key lives
 * (the CLI, the browser console); this module only builds PAE and asks each
 * signer for a signature over it, so keys never pass through here. The
 * server collects signatures one at a time with addSignature-shaped input.
 */
import { fail } from '../errors.js'
import type { Ed25519 } from '../crypto/ed25519.js'
import { cryptoProvider } from '../crypto/provider.js'
import { checkKeyid, checkPayloadType, checkSig, DSSE_LIMITS, freezeEnvelope, type Envelope, type EnvelopeSignature } from './envelope.js'
import { pae } from './pae.js'

/** Anything that can sign bytes: a local key, a WebCrypto key, a hardware token. */
export interface Signer {
  /** Unauthenticated hint written next to the signature ('' for none). */
  readonly keyid: string
  /** Signs the exact message bytes (here: the PAE) and returns the raw signature. */
  sign(message: Uint8Array): Promise<Uint8Array>
}

/**
 * Signs `payload` under `payloadType` with every signer (in order) and
 * returns the envelope. With no signers it returns an unsigned envelope,
 * to which approvers add their signatures with addSignature.
 *
 * @example
 * const env = await signEnvelope('application/vnd.palisade.command+json', canonicalJsonBytes(cmd), [
 *   ed25519Signer('alice', aliceSeed),
 * ])
 */
export async function signEnvelope(payloadType: string, payload: Uint8Array, signers: readonly Signer[]): Promise<Envelope> {
  checkPayloadType(payloadType)
  if (!(payload instanceof Uint8Array)) fail('PROTO_MALFORMED', 'DSSE payload is not bytes')
  if (payload.length > DSSE_LIMITS.maxPayloadBytes) fail('PROTO_TOO_LARGE', `DSSE payload is larger than ${DSSE_LIMITS.maxPayloadBytes} bytes`)
  if (signers.length > DSSE_LIMITS.maxSignatures) fail('PROTO_TOO_LARGE', `a DSSE envelope carries at most ${DSSE_LIMITS.maxSignatures} signatures`)
  // Copy once: the envelope must not change if the caller reuses its buffer.
  const body = payload.slice()
  const message = pae(payloadType, body)
  const signatures: EnvelopeSignature[] = []
  for (const signer of signers) signatures.push(await signOne(signer, message))
  return freezeEnvelope(payloadType, body, signatures)
}

/**
 * Returns a new envelope with one more signature (by `signer`, over the
 * envelope's own PAE) appended. The input envelope is not changed.
 *
 * @example
 * const approved = await addSignature(draft, ed25519Signer('bob', bobSeed))
 */
export async function addSignature(env: Envelope, signer: Signer): Promise<Envelope> {
  checkPayloadType(env.payloadType)
  if (env.signatures.length >= DSSE_LIMITS.maxSignatures) fail('PROTO_TOO_LARGE', `a DSSE envelope carries at most ${DSSE_LIMITS.maxSignatures} signatures`)
  const added = await signOne(signer, pae(env.payloadType, env.payload))
  return freezeEnvelope(env.payloadType, env.payload, [...env.signatures, added])
}

/**
 * A Signer over an Ed25519 seed, through the given backend (default: the
 * installed provider's, i.e. node:crypto in Node, WebCrypto in the browser).
 *
 * @example
 * const alice = ed25519Signer('alice', seed)
 * const env = await signEnvelope('text/plain', utf8('hi'), [alice])
 */
export function ed25519Signer(keyid: string, seed: Uint8Array, backend?: Ed25519): Signer {
  checkKeyid(keyid)
  return Object.freeze({
    keyid,
    sign: (message: Uint8Array) => (backend ?? cryptoProvider().ed25519).sign(seed, message),
  })
}

async function signOne(signer: Signer, message: Uint8Array): Promise<EnvelopeSignature> {
  const keyid = signer.keyid
  checkKeyid(keyid)
  const sig = await signer.sign(message)
  checkSig(sig)
  return { keyid, sig: sig.slice() }
}
