/**
 * The agent gateway's frames (WIRE.md "Agent gateway"): JSON text, one
 * object per WebSocket message. Client frames are parsed strictly —
 * unknown types and fields are refused, sizes and integers bounded — and
 * everything in them is attacker-controlled (A4: a hostile enrolled device)
 * until the signatures inside are checked. Server frames are built here
 * only, so the wire format lives in one file.
 *
 * Forward compatibility: a new client field or type is a protocol change;
 * old servers refuse it with an `error` frame rather than ignore it.
 */
import { fromBase64, ID_RE } from '@palisade/protocol'

/** The trust state an agent reports: the root version it trusts and the size of the last cosigned checkpoint it accepted (0: none). */
export interface AgentState {
  readonly rootVersion: number
  readonly checkpointSize: number
}

export interface HelloFrame {
  readonly type: 'hello'
  readonly deviceId: string
  readonly signature: Uint8Array
  readonly state: AgentState
  readonly agentVersion: string | null
}

export interface ReportFrame {
  readonly type: 'result' | 'rejection' | 'alert'
  /** DSSE envelope JSON, signed by the device key. */
  readonly envelope: string
  readonly state: AgentState | null
}

export interface InventoryFrame {
  readonly type: 'inventory'
  readonly inventory: Readonly<Record<string, unknown>>
  readonly digest: string | null
}

/** A parsed client frame. */
export type ClientFrame = HelloFrame | ReportFrame | InventoryFrame

/** A frame the gateway cannot accept; `message` is safe to send back (it echoes no frame content). */
export class FrameError extends Error {
  override readonly name = 'FrameError'
}

/** Largest WebSocket message accepted (ws closes the connection with 1009 above it). */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024
/** Largest envelope in a report: a result carries up to 2 × 1 MiB of output, base64 inside JSON. */
export const MAX_REPORT_ENVELOPE = MAX_FRAME_BYTES

const MAX_STATE_INT = Number.MAX_SAFE_INTEGER

/**
 * Parses one text message.
 *
 * @example
 * parseClientFrame('{"type":"inventory","inventory":{},"digest":null}') // { type: 'inventory', … }
 */
export function parseClientFrame(text: string): ClientFrame {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new FrameError('the frame is not JSON')
  }
  const o = object(value, 'the frame')
  switch (o['type']) {
    case 'hello': {
      fields(o, 'hello', ['type', 'deviceId', 'signature', 'state', 'agentVersion'])
      const deviceId = string(o['deviceId'], 'hello.deviceId', 64)
      if (!ID_RE.test(deviceId)) throw new FrameError('hello.deviceId is not a device id')
      let signature: Uint8Array
      try {
        signature = fromBase64(string(o['signature'], 'hello.signature', 128))
      } catch {
        throw new FrameError('hello.signature is not standard padded base64')
      }
      if (signature.length !== 64) throw new FrameError('hello.signature must be 64 bytes')
      const agentVersion = o['agentVersion'] === undefined || o['agentVersion'] === null ? null : string(o['agentVersion'], 'hello.agentVersion', 64)
      return { type: 'hello', deviceId, signature, state: state(o['state'], 'hello.state'), agentVersion }
    }
    case 'result':
    case 'rejection':
    case 'alert': {
      const type = o['type']
      fields(o, type, ['type', 'envelope', 'state'])
      const envelope = string(o['envelope'], `${type}.envelope`, MAX_REPORT_ENVELOPE)
      return { type, envelope, state: o['state'] === undefined ? null : state(o['state'], `${type}.state`) }
    }
    case 'inventory': {
      fields(o, 'inventory', ['type', 'inventory', 'digest'])
      const digest = o['digest'] === undefined || o['digest'] === null ? null : string(o['digest'], 'inventory.digest', 64)
      if (digest !== null && !/^[0-9a-f]{64}$/.test(digest)) throw new FrameError('inventory.digest must be 64 lower-case hex digits')
      return { type: 'inventory', inventory: object(o['inventory'], 'inventory.inventory'), digest }
    }
    default:
      throw new FrameError('the frame type is not one of hello, result, rejection, alert, inventory')
  }
}

function object(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new FrameError(`${what} must be a JSON object`)
  return v as Record<string, unknown>
}

function fields(o: Record<string, unknown>, what: string, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new FrameError(`${what} has an unknown field`)
}

function string(v: unknown, what: string, max: number): string {
  if (typeof v !== 'string') throw new FrameError(`${what} must be a string`)
  if (v.length > max) throw new FrameError(`${what} is too long`)
  return v
}

function state(v: unknown, what: string): AgentState {
  const o = object(v, what)
  fields(o, what, ['rootVersion', 'checkpointSize'])
  const int = (x: unknown, name: string, min: number): number => {
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < min || x > MAX_STATE_INT) {
      throw new FrameError(`${what}.${name} must be an integer ≥ ${min}`)
    }
    return x
  }
  return { rootVersion: int(o['rootVersion'], 'rootVersion', 0), checkpointSize: int(o['checkpointSize'], 'checkpointSize', 0) }
}

/** Server frames, serialised. */
export const serverFrame = {
  challenge: (nonce: string): string => JSON.stringify({ type: 'challenge', nonce }),
  welcome: (): string => JSON.stringify({ type: 'welcome' }),
  delivery: (commandId: string, delivery: Record<string, unknown>): string => JSON.stringify({ type: 'delivery', commandId, delivery }),
  /** A checkpoint on its own: protocol formatCheckpointUpdate's fields after the type. */
  checkpoint: (update: Record<string, unknown>): string => JSON.stringify({ type: 'checkpoint', ...update }),
  ack: (commandId: string | null): string => JSON.stringify({ type: 'ack', commandId }),
  error: (code: string, message: string): string => JSON.stringify({ type: 'error', code, message }),
}
