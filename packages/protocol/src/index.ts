/**
 * @palisade/protocol — the trust core. Pure: no file, network or clock
 * access; time, randomness and trust roots are parameters. Every trust
 * decision Palisade makes is made here.
 *
 * Platform entry points (package.json "exports" conditions): node.ts
 * installs node:crypto, browser.ts a portable SHA-256 and WebCrypto.
 */
export { ProtocolError, isProtocolError, PROTOCOL_ERROR_CODES, type ProtocolErrorCode } from './errors.js'
export { toHex, fromHex, toBase64, fromBase64, utf8, fromUtf8, equalBytes, concat } from './bytes.js'

// crypto
export { installCryptoProvider, cryptoProvider, type CryptoProvider } from './crypto/provider.js'
export { type Ed25519 } from './crypto/ed25519.js'
export { webCryptoEd25519, type SubtleEd25519 } from './crypto/ed25519-webcrypto.js'
export { passesEncodingRule } from './crypto/ed25519-rule.js'
export { sha256 as sha256Portable } from './crypto/sha256.js'
export { keyId } from './keys/key-id.js'

// formats, as namespaces named after their specs
export { canonicalJson, canonicalJsonBytes } from './json/canonical.js'
export { parseJson } from './json/parse.js'
export * as merkle from './merkle/index.js'
export * as note from './note/index.js'
export * as checkpoint from './checkpoint/index.js'
export * as cosignature from './cosignature/index.js'
export * as dsse from './dsse/index.js'

// org root of trust
export {
  parseRoot,
  ROOT_PAYLOAD_TYPE,
  ROOT_TYPE,
  ACTION_KINDS,
  ROOT_MAX_MONITORS,
  CHECKPOINT_MAX_AGE_MIN_SECONDS,
  CHECKPOINT_MAX_AGE_MAX_SECONDS,
  type Root,
  type AdminKey,
  type ActionKind,
} from './root/root.js'
export { parseMonitorUrl, isLoopbackHost, MONITOR_URL_MAX_LENGTH } from './root/monitor-url.js'
export { rootFingerprint, FINGERPRINT_RE } from './root/fingerprint.js'
export { buildRoot, type RootSpec, type RootAdminSpec, type BuiltRoot } from './root/build.js'
export {
  formatRootLine,
  parseRootLine,
  isRootLine,
  checkpointRootLine,
  ROOT_LINE_PREFIX,
  type RootLine,
} from './root/root-line.js'
export {
  verifyAnchorRoot,
  verifyRootUpdate,
  verifyRootChain,
  requireUnexpired,
  type SignedRoot,
} from './root/verify.js'

// commands
export {
  parseCommandPayload,
  formatCommandPayload,
  commandPayloadJson,
  COMMAND_PAYLOAD_TYPE,
  COMMAND_TYPE,
  ORG_ID_RE,
  ID_RE,
  INTERPRETER_RE,
  USER_RE,
  type CommandPayload,
  type Targets,
} from './command/payload.js'
export { merkleTargets, targetProof, isTargeted, type TargetProof } from './command/targets.js'
export { parseDelivery, formatDelivery, type Delivery } from './command/delivery.js'
export {
  initialTrustState,
  encodeTrustState,
  decodeTrustState,
  currentRoot,
  type TrustState,
  type SeenCheckpoint,
} from './command/trust-state.js'
export { verifyCommand, CLOCK_SKEW_SECONDS, type VerifyResult, type Device } from './command/verify.js'
export {
  verifyCheckpointUpdate,
  parseCheckpointUpdate,
  formatCheckpointUpdate,
  type CheckpointUpdate,
  type CheckpointUpdateResult,
} from './command/checkpoint-update.js'
export { checkpointStaleness, type CheckpointStaleness } from './command/checkpoint-staleness.js'
export { clampTrustState } from './command/accept-checkpoint.js'
export {
  parseAlert,
  formatAlert,
  ALERT_PAYLOAD_TYPE,
  ALERT_TYPE,
  ALERT_CODE_RE,
  type Alert,
  type AlertDetail,
} from './command/alert.js'
export {
  parseDeviceReport,
  formatDeviceReport,
  openDeviceReport,
  DEVICE_REPORT_LIMIT,
  type DeviceReport,
  type OpenedDeviceReport,
} from './command/device-report.js'
export {
  parseCommandResult,
  parseRejection,
  formatReport,
  RESULT_PAYLOAD_TYPE,
  REJECTION_PAYLOAD_TYPE,
  OUTPUT_CAP_BYTES,
  type CommandResult,
  type KnownRejectionCode,
  type Rejection,
  type ResultStatus,
} from './command/result.js'

// agent gateway (the device side of the connection)
export { agentAuthMessage, AGENT_AUTH_CONTEXT } from './gateway/auth-message.js'
export { parseServerFrame, GATEWAY_MAX_FRAME_BYTES, type ServerFrame, type InvalidFrame } from './gateway/server-frame.js'
