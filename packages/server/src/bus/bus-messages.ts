/**
 * The messages nodes exchange over the bus (bus.ts): small JSON objects
 * naming the sending node and ids only, never data. Every message is
 * parsed as untrusted input: wrong shape, unknown fields, oversized ids →
 * undefined (dropped). Forward-compatible: `v` is 1; a node drops versions
 * it does not know, which only delays work (the bus is a hint).
 *
 *     deliveries  {"v":1,"node":"node-a","org":"acme","command":"acme/cmd-1"}
 *     checkpoint  {"v":1,"node":"node-a","org":"acme","size":12}
 *     events      {"v":1,"node":"node-a","org":"acme","kind":"command","id":"cmd-1"}
 *
 * (on NATS under palisade.v1.<deployment>.<name>: bus.ts deploymentSubject)
 */
import type { OrgEvent, OrgEventKind } from '../events/org-events.js'

/** Largest message accepted, bytes. */
export const MAX_MESSAGE_BYTES = 1024

const ID = /^[\x21-\x7e]{1,256}$/
const EVENT_KINDS: readonly OrgEventKind[] = ['device', 'command', 'alert', 'log']

/** "Command `command` of `org` has pending deliveries." */
export interface DeliveriesMessage {
  readonly node: string
  readonly org: string
  /** The command key (`org/id`). */
  readonly command: string
}

/** "A checkpoint of `org` of `size` entries was published or re-cosigned." */
export interface CheckpointMessage {
  readonly node: string
  readonly org: string
  readonly size: number
}

/** "Something changed in `org`" (events/org-events.ts). */
export interface EventMessage {
  readonly node: string
  readonly org: string
  readonly event: OrgEvent
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/**
 * @example
 * bus.publish(SUBJECTS.deliveries, formatDeliveries({ node: 'node-a', org: 'acme', command: 'acme/cmd-1' }))
 */
export function formatDeliveries(m: DeliveriesMessage): Uint8Array {
  return encoder.encode(JSON.stringify({ v: 1, node: m.node, org: m.org, command: m.command }))
}

/** Parses a deliveries message; undefined when malformed. */
export function parseDeliveries(data: Uint8Array): DeliveriesMessage | undefined {
  const o = parseObject(data, ['command'])
  if (o === undefined || !isId(o['command']) || !(o['command'] as string).startsWith(`${o['org'] as string}/`)) return undefined
  return Object.freeze({ node: o['node'] as string, org: o['org'] as string, command: o['command'] as string })
}

/** @example bus.publish(SUBJECTS.checkpoint, formatCheckpoint({ node: 'node-a', org: 'acme', size: 12 })) */
export function formatCheckpoint(m: CheckpointMessage): Uint8Array {
  return encoder.encode(JSON.stringify({ v: 1, node: m.node, org: m.org, size: m.size }))
}

/** Parses a checkpoint message; undefined when malformed. */
export function parseCheckpoint(data: Uint8Array): CheckpointMessage | undefined {
  const o = parseObject(data, ['size'])
  const size = o?.['size']
  if (o === undefined || typeof size !== 'number' || !Number.isSafeInteger(size) || size < 1) return undefined
  return Object.freeze({ node: o['node'] as string, org: o['org'] as string, size })
}

/** @example bus.publish(SUBJECTS.events, formatEvent({ node: 'node-a', org: 'acme', event: { kind: 'device', id: 'dev-1' } })) */
export function formatEvent(m: EventMessage): Uint8Array {
  return encoder.encode(JSON.stringify({ v: 1, node: m.node, org: m.org, kind: m.event.kind, ...(m.event.id === undefined ? {} : { id: m.event.id }) }))
}

/** Parses an event message; undefined when malformed. */
export function parseEvent(data: Uint8Array): EventMessage | undefined {
  const o = parseObject(data, ['kind', 'id'])
  if (o === undefined || !EVENT_KINDS.includes(o['kind'] as OrgEventKind)) return undefined
  if (o['id'] !== undefined && !isId(o['id'])) return undefined
  const event: OrgEvent = o['id'] === undefined ? { kind: o['kind'] as OrgEventKind } : { kind: o['kind'] as OrgEventKind, id: o['id'] as string }
  return Object.freeze({ node: o['node'] as string, org: o['org'] as string, event: Object.freeze(event) })
}

/** A plain object with v = 1, a node and an org, and no fields beyond `extra`. */
function parseObject(data: Uint8Array, extra: readonly string[]): Record<string, unknown> | undefined {
  if (!(data instanceof Uint8Array) || data.length > MAX_MESSAGE_BYTES) return undefined
  let v: unknown
  try {
    v = JSON.parse(decoder.decode(data))
  } catch {
    return undefined
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined
  const o = v as Record<string, unknown>
  const allowed = new Set(['v', 'node', 'org', ...extra])
  if (Object.keys(o).some((k) => !allowed.has(k))) return undefined
  if (o['v'] !== 1 || !isId(o['node']) || !isId(o['org'])) return undefined
  return o
}

function isId(v: unknown): v is string {
  return typeof v === 'string' && ID.test(v)
}
