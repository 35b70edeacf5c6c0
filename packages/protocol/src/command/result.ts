/**
 * What a device reports back, signed with its own device key: the result of
 * a command it ran, or the rejection of a delivery it refused (G6). The
 * server stores and relays these; it cannot forge them, because it never
 * holds a device key.
 */
import { fail, type ProtocolErrorCode } from '../errors.js'
import { canonicalJsonBytes } from '../json/canonical.js'
import { expectInteger, expectObject, expectString } from '../json/expect.js'
import { parseJson } from '../json/parse.js'
import { ID_RE, ORG_ID_RE } from './payload.js'

export const RESULT_PAYLOAD_TYPE = 'application/vnd.palisade.result+json'
export const REJECTION_PAYLOAD_TYPE = 'application/vnd.palisade.rejection+json'
/** Output cap per stream, in bytes of UTF-8; the agent truncates and marks. */
export const OUTPUT_CAP_BYTES = 1024 * 1024
const MAX_REPORT_BYTES = 3 * OUTPUT_CAP_BYTES

export type ResultStatus = 'completed' | 'timed-out' | 'failed-to-start'

export interface CommandResult {
  readonly type: 'palisade.result/v1'
  readonly org: string
  readonly commandId: string
  readonly deviceId: string
  readonly status: ResultStatus
  readonly exitCode: number | null
  readonly signal: string | null
  readonly stdout: string
  readonly stderr: string
  readonly stdoutTruncated: boolean
  readonly stderrTruncated: boolean
  /** Unix milliseconds. */
  readonly startedAt: number
  readonly finishedAt: number
}

export interface Rejection {
  readonly type: 'palisade.rejection/v1'
  readonly org: string
  readonly deviceId: string
  readonly commandId: string | null
  /**
   * A code this version knows, or a newer one: receivers accept any
   * well-formed PROTO_ or AGENT_ code (REJECTION_CODE_RE) and keep it as an
   * opaque string, because agents may be upgraded before the servers and
   * witnesses that read their reports (ERRORS.md). Producers type their
   * codes as KnownRejectionCode.
   */
  readonly code: KnownRejectionCode | (string & {})
  readonly message: string
  /** Unix milliseconds. */
  readonly at: number
}

/** Rejections decided by the agent's shell rather than the protocol (local policy, malformed frame). */
export type AgentRejectionCode = 'AGENT_POLICY_FORBIDS' | 'AGENT_MALFORMED_DELIVERY'

/** The rejection codes this version can send. */
export type KnownRejectionCode = ProtocolErrorCode | AgentRejectionCode

/**
 * The shape of a rejection code, known or not: upper-case words, at most
 * 64 characters, from the protocol (PROTO_) or the agent's shell (AGENT_).
 * A known prefix keeps other namespaces (a server's SRV_, a witness's WIT_)
 * from passing as a device's words.
 */
const REJECTION_CODE_RE = /^(?=[A-Z][A-Z0-9_]{2,63}$)(?:PROTO|AGENT)_[A-Z0-9][A-Z0-9_]*$/

function bool(v: unknown, where: string): boolean {
  if (typeof v !== 'boolean') fail('PROTO_MALFORMED', `${where} must be a boolean`)
  return v
}

export function parseCommandResult(payload: Uint8Array | string): CommandResult {
  const o = expectObject(parseJson(payload, MAX_REPORT_BYTES, 'result'), 'result', [
    'type', 'org', 'commandId', 'deviceId', 'status', 'exitCode', 'signal', 'stdout', 'stderr',
    'stdoutTruncated', 'stderrTruncated', 'startedAt', 'finishedAt',
  ])
  if (o.type !== 'palisade.result/v1') fail('PROTO_MALFORMED', 'result.type must be "palisade.result/v1"')
  if (o.status !== 'completed' && o.status !== 'timed-out' && o.status !== 'failed-to-start') {
    fail('PROTO_MALFORMED', 'result.status must be completed, timed-out or failed-to-start')
  }
  const startedAt = expectInteger(o.startedAt, 'result.startedAt', 0, 253402300799999)
  return Object.freeze({
    type: 'palisade.result/v1',
    org: expectString(o.org, 'result.org', ORG_ID_RE),
    commandId: expectString(o.commandId, 'result.commandId', ID_RE),
    deviceId: expectString(o.deviceId, 'result.deviceId', ID_RE),
    status: o.status,
    exitCode: o.exitCode === null ? null : expectInteger(o.exitCode, 'result.exitCode', -2147483648, 2147483647),
    signal: o.signal === null ? null : expectString(o.signal, 'result.signal', /^SIG[A-Z0-9]{1,12}$/),
    stdout: expectString(o.stdout, 'result.stdout', undefined, OUTPUT_CAP_BYTES),
    stderr: expectString(o.stderr, 'result.stderr', undefined, OUTPUT_CAP_BYTES),
    stdoutTruncated: bool(o.stdoutTruncated, 'result.stdoutTruncated'),
    stderrTruncated: bool(o.stderrTruncated, 'result.stderrTruncated'),
    startedAt,
    finishedAt: expectInteger(o.finishedAt, 'result.finishedAt', startedAt, 253402300799999),
  })
}

export function parseRejection(payload: Uint8Array | string): Rejection {
  const o = expectObject(parseJson(payload, 64 * 1024, 'rejection'), 'rejection', [
    'type', 'org', 'deviceId', 'commandId', 'code', 'message', 'at',
  ])
  if (o.type !== 'palisade.rejection/v1') fail('PROTO_MALFORMED', 'rejection.type must be "palisade.rejection/v1"')
  // Any well-formed code, known or not: a newer agent's code must reach an
  // older server or witness (G6), which stores and shows it as it is.
  const code = expectString(o.code, 'rejection.code', REJECTION_CODE_RE)
  return Object.freeze({
    type: 'palisade.rejection/v1',
    org: expectString(o.org, 'rejection.org', ORG_ID_RE),
    deviceId: expectString(o.deviceId, 'rejection.deviceId', ID_RE),
    commandId: o.commandId === null ? null : expectString(o.commandId, 'rejection.commandId', ID_RE),
    code,
    message: expectString(o.message, 'rejection.message', undefined, 4096),
    at: expectInteger(o.at, 'rejection.at', 0, 253402300799999),
  })
}

/** Canonical payload bytes of a result or rejection, checked by its parser before signing. */
export function formatReport(r: CommandResult | Rejection): Uint8Array {
  const bytes = canonicalJsonBytes(r)
  if (r.type === 'palisade.result/v1') parseCommandResult(bytes)
  else parseRejection(bytes)
  return bytes
}
