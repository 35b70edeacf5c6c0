/**
 * The frames the server sends on the agent gateway (docs/WIRE.md, "Agent
 * gateway"), parsed for shape, as every device-side reader (the agent, the
 * simulator) reads them.
 *
 * Trusts: nothing. Frames are not signed and every one is attacker-controlled
 * (A1, A3): nothing inside a delivery or a checkpoint is believed until
 * verifyCommand / verifyCheckpointUpdate has checked it, and an ack can only
 * make a device forget a report the server says it stored. Unknown extra
 * fields are ignored (forward compatibility: a new field may be added to a
 * frame; a new frame type is `invalid` to older devices).
 */
import { fromBase64 } from '../bytes.js'
import { ID_RE } from '../command/payload.js'

/** The largest frame either side sends (WIRE.md: ≤ 4 MiB). */
export const GATEWAY_MAX_FRAME_BYTES = 4 * 1024 * 1024

/** A frame the server sends. */
export type ServerFrame =
  | { readonly type: 'challenge'; readonly nonce: string }
  | { readonly type: 'welcome' }
  | {
      readonly type: 'delivery'
      /** The server's name for the command: unverified, used only to label a rejection when the payload cannot be read. */
      readonly commandId: string | null
      readonly delivery: unknown
    }
  | {
      readonly type: 'checkpoint'
      /** The frame without its type: { note, consistency, rootUpdates? }, for parseCheckpointUpdate. */
      readonly update: Readonly<Record<string, unknown>>
    }
  | { readonly type: 'ack'; readonly commandId: string | null }
  | { readonly type: 'error'; readonly code: string; readonly message: string }

/** A frame the server sent that a device cannot use, with why. */
export interface InvalidFrame {
  readonly type: 'invalid'
  readonly reason: string
}

const idOrNull = (v: unknown): string | null => (typeof v === 'string' && ID_RE.test(v) ? v : null)
const short = (v: unknown, max: number): string => (typeof v === 'string' ? v.slice(0, max) : '')

/**
 * Parses one text frame from the server; never throws.
 *
 * @example
 * parseServerFrame('{"type":"welcome"}') // { type: 'welcome' }
 * parseServerFrame('nope') // { type: 'invalid', reason: 'not JSON' }
 */
export function parseServerFrame(text: string): ServerFrame | InvalidFrame {
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    return { type: 'invalid', reason: 'not JSON' }
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { type: 'invalid', reason: 'not a JSON object' }
  const o = v as Record<string, unknown>
  switch (o['type']) {
    case 'challenge': {
      const nonce = o['nonce']
      if (typeof nonce !== 'string' || nonce.length !== 44) return { type: 'invalid', reason: 'challenge without a 32-byte base64 nonce' }
      try {
        if (fromBase64(nonce, 'nonce').length !== 32) return { type: 'invalid', reason: 'challenge nonce is not 32 bytes' }
      } catch {
        return { type: 'invalid', reason: 'challenge nonce is not base64' }
      }
      return { type: 'challenge', nonce }
    }
    case 'welcome':
      return { type: 'welcome' }
    case 'delivery':
      if (!('delivery' in o)) return { type: 'invalid', reason: 'delivery frame without a delivery' }
      return { type: 'delivery', commandId: idOrNull(o['commandId']), delivery: o['delivery'] }
    case 'checkpoint': {
      const { type: _type, ...update } = o
      return { type: 'checkpoint', update }
    }
    case 'ack':
      if (o['commandId'] !== null && idOrNull(o['commandId']) === null) return { type: 'invalid', reason: 'ack without a valid commandId' }
      return { type: 'ack', commandId: idOrNull(o['commandId']) }
    case 'error':
      return { type: 'error', code: short(o['code'], 64), message: short(o['message'], 512) }
    default:
      return { type: 'invalid', reason: `unknown frame type ${JSON.stringify(short(o['type'], 32))}` }
  }
}
