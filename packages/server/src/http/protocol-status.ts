/**
 * How @palisade/protocol failures surface over HTTP. The trust core knows
 * nothing of HTTP (STYLE.md: "map code → status only in packages/server"),
 * so the mapping lives here. A code missing from the table is treated as
 * 422 (a rule rejected the input) and fails protocol-status.test.ts, so a
 * new protocol code cannot ship without someone deciding its status — yet
 * it does not break the build of whoever added it to protocol.
 *
 * - 400: the input is not well-formed (bad syntax, size, encoding, key text).
 * - 422: the input is well-formed but the trust rules reject it (bad
 *   signature, threshold, rollback, expiry…). The caller learns which rule.
 * - 'internal': the server itself is at fault; reported as SRV_INTERNAL.
 */
import type { ProtocolErrorCode } from '@palisade/protocol'

/** The HTTP treatment of a protocol error code. */
export type ProtocolErrorStatus = 400 | 422 | 'internal'

/** Protocol code → HTTP treatment; use {@link protocolErrorStatus} to read it. */
export const PROTOCOL_ERROR_STATUS: Readonly<Partial<Record<ProtocolErrorCode, ProtocolErrorStatus>>> = Object.freeze({
  PROTO_MALFORMED: 400,
  PROTO_TOO_LARGE: 400,
  PROTO_NOT_CANONICAL: 400,
  PROTO_JSON_UNSUPPORTED: 400,
  PROTO_KEY_INVALID: 400,
  PROTO_CRYPTO_UNAVAILABLE: 'internal',
  PROTO_SIG_INVALID: 422,
  PROTO_SIG_THRESHOLD: 422,
  PROTO_NOTE_UNVERIFIED: 422,
  PROTO_PROOF_INVALID: 422,
  PROTO_ROOT_FINGERPRINT: 422,
  PROTO_ROOT_ROLLBACK: 422,
  PROTO_ROOT_SKIPPED: 422,
  PROTO_ROOT_EXPIRED: 422,
  PROTO_ROOT_SIG: 422,
  PROTO_ORG_MISMATCH: 422,
  PROTO_PAYLOAD_TYPE: 422,
  PROTO_NOT_TARGETED: 422,
  PROTO_REPLAY: 422,
  PROTO_EXPIRED: 422,
  PROTO_VALIDITY_TOO_LONG: 422,
  PROTO_NOT_IN_LOG: 422,
  PROTO_LOG_SIG: 422,
  PROTO_LOG_ORIGIN: 422,
  PROTO_WITNESS_QUORUM: 422,
  PROTO_LOG_INCONSISTENT: 422,
  PROTO_LOG_ROLLBACK: 422,
  PROTO_FROZEN: 422,
  PROTO_ROOT_STALE: 422,
  PROTO_OUT_OF_ORDER: 422,
})

/**
 * The HTTP treatment of a protocol code (422 when the table lacks it).
 *
 * @example
 * protocolErrorStatus('PROTO_MALFORMED') // 400
 */
export function protocolErrorStatus(code: ProtocolErrorCode): ProtocolErrorStatus {
  return Object.hasOwn(PROTOCOL_ERROR_STATUS, code) ? PROTOCOL_ERROR_STATUS[code]! : 422
}
