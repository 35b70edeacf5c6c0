/**
 * Live updates: one EventSource per org on GET /v1/orgs/:org/events. The
 * server sends only "what changed" (kind + id); pages refetch what they
 * show through the API. The connection state drives the "live" indicator.
 * EventSource reconnects by itself after a network error; a refused
 * stream (401/404) closes it, and we retry with a growing delay.
 */
import { useEffect, useRef, useSyncExternalStore } from 'react'

export type EventKind = 'device' | 'command' | 'alert' | 'log'
export interface OrgEvent {
  readonly kind: EventKind
  readonly id?: string
}
type Listener = (e: OrgEvent) => void

const KINDS: readonly EventKind[] = ['device', 'command', 'alert', 'log']

class OrgStream {
  #source: EventSource | undefined
  #listeners = new Set<Listener>()
  #stateListeners = new Set<() => void>()
  #retry: ReturnType<typeof setTimeout> | undefined
  #delay = 1000
  live = false

  constructor(readonly org: string) {}

  add(l: Listener): () => void {
    this.#listeners.add(l)
    if (this.#source === undefined && this.#retry === undefined) this.#open()
    return () => {
      this.#listeners.delete(l)
      if (this.#listeners.size === 0) this.#close()
    }
  }

  watch(l: () => void): () => void {
    this.#stateListeners.add(l)
    return () => void this.#stateListeners.delete(l)
  }

  #setLive(v: boolean): void {
    if (this.live === v) return
    this.live = v
    for (const l of [...this.#stateListeners]) l()
  }

  #open(): void {
    this.#retry = undefined
    const source = new EventSource(`/v1/orgs/${encodeURIComponent(this.org)}/events`, { withCredentials: true })
    this.#source = source
    source.onopen = () => {
      this.#delay = 1000
      this.#setLive(true)
      // anything may have changed while we were not listening
      this.#emit({ kind: 'device' })
      this.#emit({ kind: 'command' })
      this.#emit({ kind: 'alert' })
    }
    source.onerror = () => {
      this.#setLive(false)
      if (source.readyState === EventSource.CLOSED) {
        this.#source = undefined
        if (this.#listeners.size > 0) this.#retry = setTimeout(() => this.#open(), (this.#delay = Math.min(this.#delay * 2, 30_000)))
      }
    }
    for (const kind of KINDS) {
      source.addEventListener(kind, (ev) => {
        let id: string | undefined
        try {
          const d = JSON.parse((ev as MessageEvent<string>).data) as { id?: unknown }
          if (typeof d.id === 'string') id = d.id
        } catch {
          // a malformed frame still means "something changed"
        }
        this.#emit(id === undefined ? { kind } : { kind, id })
      })
    }
  }

  #emit(e: OrgEvent): void {
    for (const l of [...this.#listeners]) l(e)
  }

  #close(): void {
    clearTimeout(this.#retry)
    this.#retry = undefined
    this.#source?.close()
    this.#source = undefined
    this.#setLive(false)
  }
}

const streams = new Map<string, OrgStream>()
function stream(org: string): OrgStream {
  let s = streams.get(org)
  if (s === undefined) streams.set(org, (s = new OrgStream(org)))
  return s
}

/**
 * Calls `onEvent` for each event of `kinds` in `org` while mounted.
 *
 * @example
 * useOrgEvents(org, ['device'], () => devices.reload())
 */
export function useOrgEvents(org: string, kinds: readonly EventKind[], onEvent: (e: OrgEvent) => void): void {
  const ref = useRef(onEvent)
  ref.current = onEvent
  const key = kinds.join(',')
  useEffect(() => {
    const wanted = new Set(key.split(','))
    // Bursts (10,000 results) become one refetch per 300 ms.
    let timer: ReturnType<typeof setTimeout> | undefined
    let last: OrgEvent | undefined
    const off = stream(org).add((e) => {
      if (!wanted.has(e.kind)) return
      last = e
      if (timer === undefined) {
        timer = setTimeout(() => {
          timer = undefined
          if (last !== undefined) ref.current(last)
        }, 300)
      }
    })
    return () => {
      clearTimeout(timer)
      off()
    }
  }, [org, key])
}

/** Whether the live stream of `org` is connected. */
export function useLive(org: string): boolean {
  const s = stream(org)
  return useSyncExternalStore(
    (l) => s.watch(l),
    () => s.live,
  )
}
