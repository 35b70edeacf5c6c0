/**
 * The codes of the gateway's `error` frames (WIRE.md: `{ "type": "error",
 * "code", "message" }`). A refused report may also carry the PROTO_* code
 * with which protocol refused its envelope or payload. Codes are API:
 * agents branch on them; never reuse a retired one.
 *
 * Every error frame counts toward the limit of refused frames per
 * connection (agent-connection.ts MAX_STRIKES); the next closes it (4400).
 */
export const GATEWAY_ERROR_CODES = {
  SRV_GATEWAY_MALFORMED: 'the frame is not JSON, not a known type, or not the right shape (a binary frame, an unknown field, an oversize inventory)',
  SRV_GATEWAY_UNAUTHENTICATED: 'a frame other than hello arrived before the connection was authenticated',
  SRV_GATEWAY_RATE_LIMITED: 'the device sends inventories or unmatched reports too often; retry later (the report is not acked)',
  SRV_GATEWAY_REPORT_SIGNATURE: 'a result or rejection is not signed by the key of the device on this connection; an alert was raised',
  SRV_GATEWAY_REPORT_UNSOLICITED: 'a result names a command not delivered to this device, or another org or device; an alert was raised',
} as const

/** A gateway error frame code. */
export type GatewayErrorCode = keyof typeof GATEWAY_ERROR_CODES
