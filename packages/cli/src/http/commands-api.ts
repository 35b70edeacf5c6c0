/**
 * Command routes (docs/WIRE.md "Commands"). The server collects signatures
 * and relays results; it cannot change what admins sign. So the payload it
 * returns is only ever handed to the caller as bytes, to be re-parsed with
 * @palisade/protocol before anything is shown or signed (commands/command.ts).
 */
import { ID_RE } from '@palisade/protocol'
import type { JsonValue } from '../io/output.js'
import { segment, type OrgSession } from './session.js'
import { array, base64, boolean, integer, millis, object, optional, string } from './shape.js'

/** What the server answers to a new command. */
export interface CreatedCommand {
  readonly id: string
  /** The canonical bytes the server will collect signatures over. */
  readonly payload: Uint8Array
  readonly status: string
  readonly threshold: number
}

/** `POST /v1/orgs/:org/commands`. */
export function createCommand(s: OrgSession, payload: JsonValue, targetIds?: readonly string[]): Promise<CreatedCommand> {
  const body = targetIds === undefined ? { payload } : { payload, targetIds }
  return s.api.post(s.path('/commands'), body, (b) => {
    const o = object(b, 'answer')
    return {
      id: string(o['id'], 'id', ID_RE),
      payload: base64(o['payload'], 'payload'),
      status: string(o['status'], 'status', undefined, 64),
      threshold: integer(o['threshold'], 'threshold', 1, 64),
    }
  }, { maxResponseBytes: 8 * 1024 * 1024 })
}

/** One line of the command list. */
export interface CommandSummary {
  readonly id: string
  readonly status: string
  readonly createdAt: number | null
  readonly signatures: number
  readonly threshold: number
  /** The server's description of the targets (a kind, a count, or an object). */
  readonly targets: JsonValue
  readonly done: number | null
}

/** `GET /v1/orgs/:org/commands`. */
export function listCommands(s: OrgSession): Promise<CommandSummary[]> {
  return s.api.get(s.path('/commands'), (b) =>
    array(object(b, 'answer')['commands'], 'commands', (x, w) => {
      const o = object(x, w)
      const sigs = o['signatures']
      return {
        id: string(o['id'], `${w}.id`, ID_RE),
        status: string(o['status'], `${w}.status`, undefined, 64),
        createdAt: millis(o['createdAt'], `${w}.createdAt`),
        // a count, or the list of signers
        signatures: Array.isArray(sigs) ? sigs.length : integer(sigs ?? 0, `${w}.signatures`),
        threshold: integer(o['threshold'], `${w}.threshold`, 0, 64),
        targets: (o['targets'] ?? null) as JsonValue,
        done: optional(o['done'], (v) => integer(v, `${w}.done`)) ?? null,
      }
    }),
  )
}

/** A device's result, as relayed by the server. */
export interface DeviceResult {
  readonly deviceId: string
  readonly status: string
  readonly exitCode: number | null
  readonly signal: string | null
  readonly stdout: string
  readonly stderr: string
  readonly stdoutTruncated: boolean
  readonly stderrTruncated: boolean
  readonly startedAt: number | null
  readonly finishedAt: number | null
}

/** One command in full. */
export interface CommandDetail {
  readonly id: string
  readonly status: string
  /** Payload bytes as the server holds them: untrusted until re-parsed. */
  readonly payload: Uint8Array
  readonly signatures: readonly { readonly keyid: string; readonly name: string | null }[]
  readonly threshold: number
  readonly logIndex: number | null
  readonly deliveries: readonly { readonly deviceId: string; readonly status: string }[]
  readonly results: readonly DeviceResult[]
}

/** `GET /v1/orgs/:org/commands/:id`. */
export function getCommand(s: OrgSession, id: string): Promise<CommandDetail> {
  return s.api.get(s.path(`/commands/${segment(id)}`), readCommandDetail, { maxResponseBytes: 256 * 1024 * 1024 })
}

/** Reads the answer of `GET /v1/orgs/:org/commands/:id`. */
export function readCommandDetail(b: unknown): CommandDetail {
  const o = object(b, 'answer')
  const deviceId = (v: unknown, w: string): string => string(v, w, undefined, 256)
  return {
    id: string(o['id'], 'id', ID_RE),
    status: string(o['status'], 'status', undefined, 64),
    payload: base64(o['payload'], 'payload'),
    signatures: array(o['signatures'] ?? [], 'signatures', (x, w) => {
      const so = object(x, w)
      return {
        keyid: string(so['keyid'], `${w}.keyid`, undefined, 256),
        name: optional(so['name'], (v) => string(v, `${w}.name`, undefined, 256)) ?? null,
      }
    }, 64),
    threshold: integer(o['threshold'], 'threshold', 0, 64),
    logIndex: optional(o['logIndex'], (v) => integer(v, 'logIndex')) ?? null,
    deliveries: array(o['deliveries'] ?? [], 'deliveries', (x, w) => {
      const d = object(x, w)
      return { deviceId: deviceId(d['deviceId'], `${w}.deviceId`), status: string(d['status'], `${w}.status`, undefined, 64) }
    }, 10_000_000),
    results: array(o['results'] ?? [], 'results', (x, w) => {
      const r = object(x, w)
      return {
        deviceId: deviceId(r['deviceId'], `${w}.deviceId`),
        status: string(r['status'], `${w}.status`, undefined, 64),
        exitCode: optional(r['exitCode'], (v) => integer(v, `${w}.exitCode`, -(2 ** 31), 2 ** 32)) ?? null,
        signal: optional(r['signal'], (v) => string(v, `${w}.signal`, undefined, 64)) ?? null,
        stdout: string(r['stdout'] ?? '', `${w}.stdout`),
        stderr: string(r['stderr'] ?? '', `${w}.stderr`),
        stdoutTruncated: boolean(r['stdoutTruncated'] ?? false, `${w}.stdoutTruncated`),
        stderrTruncated: boolean(r['stderrTruncated'] ?? false, `${w}.stderrTruncated`),
        startedAt: millis(r['startedAt'], `${w}.startedAt`),
        finishedAt: millis(r['finishedAt'], `${w}.finishedAt`),
      }
    }, 10_000_000),
  }
}

/** What the server answers to a signature. */
export interface SignatureAnswer {
  readonly signatures: number
  readonly threshold: number
  readonly status: string
}

/** `POST /v1/orgs/:org/commands/:id/signatures`. */
export function addCommandSignature(s: OrgSession, id: string, keyid: string, sig: string): Promise<SignatureAnswer> {
  return s.api.post(s.path(`/commands/${segment(id)}/signatures`), { keyid, sig }, (b) => {
    const o = object(b, 'answer')
    const sigs = o['signatures']
    return {
      signatures: Array.isArray(sigs) ? sigs.length : integer(sigs, 'signatures', 0, 64),
      threshold: integer(o['threshold'], 'threshold', 0, 64),
      status: string(o['status'], 'status', undefined, 64),
    }
  })
}
