/** C2SP signed notes: keys, opening and signing (c2sp.org/signed-note). */
export {
  SIG_TYPE_ED25519,
  isValidKeyName,
  keyHash,
  verifierFromString,
  signerFromString,
  formatVerifierKey,
  formatSignerKey,
  ed25519Verifier,
  ed25519Signer,
  type Verifier,
  type Signer,
} from './key.js'
export {
  NOTE_MAX_BYTES,
  NOTE_MAX_SIGNATURES,
  open,
  parse,
  parseSignatureLine,
  type NoteSignature,
  type ParsedNote,
  type OpenedNote,
} from './open.js'
export { sign, formatSignatureLine, type SignableNote } from './sign.js'
