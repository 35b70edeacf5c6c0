/**
 * The message bus between server nodes (DESIGN.md: fan-out between nodes
 * goes through an existing bus, NATS, never a home-made one).
 *
 * The bus is a hint, never a source of truth: messages carry ids only, and
 * a node that receives one reads what it needs from the database. A lost,
 * late or repeated message must only delay work, never lose it: every node
 * also re-checks what its connected agents are owed, on connect and on a
 * timer (gateway/agent-gateway.ts). So publishing never throws and never
 * waits, and a bus that is down only costs latency.
 *
 * Trusts: nothing it receives. Whoever can publish on the bus can at most
 * make nodes re-read the database sooner (bus-messages.ts parses every
 * message as untrusted input).
 */

/** What every subject starts with. */
const SUBJECT_PREFIX = 'palisade.v1.'

/**
 * The messages between nodes, by name. On NATS each goes out under its
 * deployment's own subject ({@link deploymentSubject}).
 */
export const SUBJECTS = Object.freeze({
  /** A command was logged and has pending deliveries: push them to the targets connected here. */
  deliveries: 'palisade.v1.deliveries',
  /** A checkpoint was published or re-cosigned: push it to the org's agents connected here. */
  checkpoint: 'palisade.v1.checkpoint',
  /** Something changed in an org: tell the console streams open here (events/org-events.ts). */
  events: 'palisade.v1.events',
})

/** A subject name. */
export type Subject = (typeof SUBJECTS)[keyof typeof SUBJECTS]

/**
 * The NATS subject carrying `subject` for one deployment (db/deployment-id.ts):
 * `palisade.v1.<deployment>.<name>`, so deployments sharing a NATS server
 * never hear each other, and one deployment's NATS permissions can be
 * written as `palisade.v1.<deployment>.>`.
 *
 * @example
 * deploymentSubject(SUBJECTS.deliveries, '3f9c0a7e21b4d865') // 'palisade.v1.3f9c0a7e21b4d865.deliveries'
 */
export function deploymentSubject(subject: Subject, deployment: string): string {
  return `${SUBJECT_PREFIX}${deployment}.${subject.slice(SUBJECT_PREFIX.length)}`
}

/** Called with each message's bytes; must not throw (a throw is caught and logged). */
export type BusHandler = (data: Uint8Array) => void

/** Whether the bus can carry messages now; `reason` says why not. */
export type BusHealth = { readonly ok: true } | { readonly ok: false; readonly reason: string }

/** What the server needs of a bus. */
export interface Bus {
  /** Sends `data` to every subscriber of `subject`, on every node. Never throws; drops when it cannot send. */
  publish(subject: Subject, data: Uint8Array): void
  /** Calls `handler` with every message on `subject`; returns the unsubscribe function. */
  subscribe(subject: Subject, handler: BusHandler): () => void
  /** Whether messages get through now. */
  health(): BusHealth
  /** Sends what is queued, stops delivering, disconnects. Idempotent. */
  close(): Promise<void>
}
