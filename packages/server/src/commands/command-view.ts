/**
 * The JSON shapes of commands in the API (WIRE.md "Commands"), and their
 * response schemas. Results are read back out of the device-signed result
 * envelopes as stored, so what the API shows is exactly what devices signed.
 */
import { dsse, parseCommandResult, type CommandResult } from '@palisade/protocol'

const NULLABLE_INT = { type: ['integer', 'null'] }

export const COMMAND_SUMMARY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'status', 'createdAt', 'signatures', 'threshold', 'targets', 'done'],
  properties: {
    id: { type: 'string' },
    status: { type: 'string' },
    createdAt: { type: 'integer' },
    signatures: { type: 'integer' },
    threshold: { type: 'integer' },
    targets: { type: 'integer' },
    done: { type: 'integer' },
  },
}

export const COMMAND_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'status', 'payload', 'signatures', 'threshold', 'logIndex', 'deliveries', 'results'],
  properties: {
    id: { type: 'string' },
    status: { type: 'string' },
    payload: { type: 'string' },
    signatures: {
      type: 'array',
      items: { type: 'object', additionalProperties: false, required: ['keyid', 'name'], properties: { keyid: { type: 'string' }, name: { type: ['string', 'null'] } } },
    },
    threshold: { type: 'integer' },
    logIndex: NULLABLE_INT,
    deliveries: {
      type: 'array',
      items: { type: 'object', additionalProperties: false, required: ['deviceId', 'status'], properties: { deviceId: { type: 'string' }, status: { type: 'string' } } },
    },
    results: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['deviceId', 'status', 'exitCode', 'signal', 'stdout', 'stderr', 'stdoutTruncated', 'stderrTruncated', 'startedAt', 'finishedAt'],
        properties: {
          deviceId: { type: 'string' },
          status: { type: 'string' },
          exitCode: NULLABLE_INT,
          signal: { type: ['string', 'null'] },
          stdout: { type: 'string' },
          stderr: { type: 'string' },
          stdoutTruncated: { type: 'boolean' },
          stderrTruncated: { type: 'boolean' },
          startedAt: { type: 'integer' },
          finishedAt: { type: 'integer' },
        },
      },
    },
  },
}

/** One result as the API shows it. */
export type ResultView = Omit<CommandResult, 'type' | 'org' | 'commandId'>

/**
 * Reads a stored result envelope (verified by the gateway when it arrived).
 *
 * @example
 * resultView(row.envelope) // { deviceId: 'dev-…', status: 'completed', exitCode: 0, … }
 */
export function resultView(envelope: string): ResultView {
  const r = parseCommandResult(dsse.parseEnvelope(envelope).payload)
  return {
    deviceId: r.deviceId,
    status: r.status,
    exitCode: r.exitCode,
    signal: r.signal,
    stdout: r.stdout,
    stderr: r.stderr,
    stdoutTruncated: r.stdoutTruncated,
    stderrTruncated: r.stderrTruncated,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
  }
}
