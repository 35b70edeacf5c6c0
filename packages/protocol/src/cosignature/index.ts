/** C2SP witness cosignatures, Ed25519 cosignature/v1 (c2sp.org/tlog-cosignature). */
export {
  SIG_TYPE_COSIGNATURE_V1,
  COSIGNATURE_V1_LENGTH,
  cosignatureMessage,
  cosignatureTime,
  cosign,
  witnessVerifierFromString,
  witnessVerifier,
  formatWitnessVerifierKey,
  verifyCosignature,
  type WitnessKey,
} from './cosignature.js'
