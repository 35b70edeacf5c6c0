/**
 * DSSE — Dead Simple Signing Envelope (secure-systems-lab/dsse v1): PAE,
 * the JSON envelope, signing, and (t, n) threshold verification.
 */
export { pae } from './pae.js'
export { parseEnvelope, formatEnvelope, DSSE_LIMITS, type Envelope, type EnvelopeSignature } from './envelope.js'
export { signEnvelope, addSignature, ed25519Signer, type Signer } from './sign.js'
export {
  verifyEnvelope,
  verifyEnvelopeWith,
  type TrustedKey,
  type VerifierKey,
  type VerifyPolicy,
  type VerifiedEnvelope,
} from './verify.js'
