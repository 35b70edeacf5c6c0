/**
 * One round of `palisade monitor`: fetch what the server and the witnesses
 * serve, verify it (served-checkpoint.ts, log-growth.ts, entry-events.ts,
 * report-event.ts), and turn it into events, updating the state. This is
 * the only monitor file that does network I/O (through the CLI's API
 * client and witness-client.ts).
 *
 * Guarantees: the state advances only to a checkpoint that verified and
 * whose entries hash to it; a standing anomaly (a fork, a bad signature,
 * staleness) is reported once, not every round; the server's answers about
 * devices only describe and size, they never make anything valid (a
 * device's public key is pinned on first sight, and a changed one is
 * flagged, MON_DEVICE_KEY_CHANGED, rather than believed). A server
 * that cannot be reached throws (the caller decides: --once fails, the
 * loop retries); a witness that cannot be reached is an `error` event.
 *
 * Trusts: the pinned root fingerprint.
 */
import { createHash } from 'node:crypto'
import { fromBase64, merkle, parseCommandPayload, toBase64, dsse, COMMAND_PAYLOAD_TYPE, type SignedRoot } from '@palisade/protocol'
import { isCliError } from '../errors.js'
import { getCommand } from '../http/commands-api.js'
import { downloadEntries, getLatestCheckpoint, type LogEntry } from '../http/log-api.js'
import { getDevice, getRoots, listDevices } from '../http/org-api.js'
import { array, base64, object } from '../http/shape.js'
import type { OrgSession } from '../http/session.js'
import { entryEvents, type Fleet } from './entry-events.js'
import { checkGrowth } from './log-growth.js'
import { anomaly, type MonitorEvent } from './monitor-event.js'
import { firstReport, restoreFrontier, saveFrontier, type MonitorState } from './monitor-state.js'
import { checkDeviceSignature, openReport, reportEvent, type OpenedReport } from './report-event.js'
import { openServedCheckpoint, openWitnessCheckpoint, verifyServedRoots, why, type Failure } from './served-checkpoint.js'
import { witnessCheckpoint, witnessReports, WitnessUnavailable } from './witness-client.js'

/** Settings of a monitor. */
export interface MonitorOptions {
  readonly session: OrgSession
  readonly pinned: string
  readonly witnessUrls: readonly string[]
  readonly smallTargetFraction: number
  /** Seconds without a new cosignature before MON_STALE; undefined: never. */
  readonly staleAfter: number | undefined
  /** Unix milliseconds. */
  readonly now?: () => number
}

/** Most report pages read from one witness per round. */
const REPORT_PAGES_PER_ROUND = 20
/** How long a device the server says it does not know stays unknown before it is asked again. */
const UNKNOWN_DEVICE_RETRY_MS = 10 * 60_000

/** What the monitor knows of a device for checking its reports. */
interface DeviceView {
  /** The pinned key (first seen), or undefined when none is known. */
  readonly publicKey: string | undefined
  readonly hostname: string | undefined
  /** The server lists a key other than the pinned one (base64). */
  readonly changedTo?: string
}

/** Follows one org's log and witnesses. */
export class Monitor {
  readonly #o: MonitorOptions
  readonly #state: MonitorState
  readonly #now: () => number
  /** The server's answer per device this run: its listing, or the time it said 404. */
  readonly #devices = new Map<string, { publicKey: string; hostname: string } | { unknownAt: number }>()
  #origin: string | undefined

  constructor(options: MonitorOptions, state: MonitorState) {
    this.#o = options
    this.#state = state
    this.#now = options.now ?? (() => Date.now())
  }

  /** The org log origin, once a round verified the roots. */
  get origin(): string | undefined {
    return this.#origin
  }

  /**
   * Runs one round; returns its events in order.
   *
   * @example
   * for (const e of await monitor.round()) out.write(formatEvent(e, json))
   */
  async round(): Promise<MonitorEvent[]> {
    const s = this.#o.session
    const state = this.#state
    const events: MonitorEvent[] = []
    const now = this.#now()
    const flag = (f: Failure, key: string): void => {
      if (firstReport(state, `${f.code} ${key}`)) events.push(anomaly(now, f.code, f.message))
    }

    const served = verifyServedRoots(this.#o.pinned, await getRoots(s))
    if (!served.ok) {
      flag(served, 'roots')
      return events
    }
    const chain = served.chain
    if (chain[0]!.root.org !== s.org) {
      flag({ ok: false, code: 'MON_BAD_SIGNATURE', message: `the pinned root is for org ${chain[0]!.root.org}, not ${s.org}` }, 'org')
      return events
    }
    this.#origin = chain[0]!.root.log.origin
    if (chain.length < state.rootVersion) {
      flag({ ok: false, code: 'MON_ROOT_STALE', message: `the server serves roots v1..v${chain.length}, but its log reached v${state.rootVersion}` }, `served ${chain.length}`)
    }

    const note = await getLatestCheckpoint(s)
    const cp = openServedCheckpoint(note, chain, Math.floor(now / 1000))
    if (!cp.ok) {
      flag(cp, digest(note))
      return events
    }
    const prev = {
      size: state.size,
      rootHash: state.size === 0 ? merkle.emptyRoot() : fromBase64(state.rootHash),
      frontier: restoreFrontier(state.size, state.frontier),
    }
    const size = cp.checkpoint.size
    let entries: LogEntry[] = []
    let proof: Uint8Array[] = []
    if (size > prev.size) {
      entries = await downloadEntries(s, prev.size, size)
      if (prev.size > 0) proof = await this.#consistency(prev.size, size)
    }
    const growth = checkGrowth(prev, cp.checkpoint, proof, entries)
    if (!growth.ok) {
      flag(growth, `${size} ${toBase64(cp.checkpoint.rootHash)}`)
    } else {
      if (growth.warning !== undefined) flag(growth.warning, `${prev.size} ${size}`)
      if (size > prev.size) {
        events.push({
          time: now,
          kind: 'checkpoint',
          summary: `checkpoint ${size} (${size - prev.size} new entr${size - prev.size === 1 ? 'y' : 'ies'}), root v${cp.rootLine.version}, cosigned by ${cp.witnesses.join(', ') || 'no witness'}`,
          details: { size, previous: prev.size, rootHash: toBase64(cp.checkpoint.rootHash), rootVersion: cp.rootLine.version, witnesses: [...cp.witnesses] },
        })
        const fleet = await this.#fleet(entries)
        events.push(...entryEvents(entries, state, { now, pinned: this.#o.pinned, org: s.org, served: chain, fleet, smallTargetFraction: this.#o.smallTargetFraction }))
      }
      state.size = size
      state.rootHash = toBase64(cp.checkpoint.rootHash)
      state.frontier = saveFrontier(growth.frontier)
    }

    // --stale-after, else the freshness bound the org set in its root for devices
    const staleAfter = this.#o.staleAfter ?? cp.root.root.checkpointMaxAgeSeconds ?? undefined
    if (staleAfter !== undefined && now / 1000 - cp.cosignedAt > staleAfter) {
      flag(
        {
          ok: false,
          code: 'MON_STALE',
          message: `the witness quorum last cosigned the log at ${new Date(cp.cosignedAt * 1000).toISOString()}, more than ${staleAfter} s ago (size ${size})`,
        },
        String(cp.cosignedAt),
      )
    }

    for (const url of this.#o.witnessUrls) await this.#witness(url, cp.checkpoint, cp.root, events, flag, now)
    return events
  }

  /**
   * The MON_REJECTION event of a report, its device signature checked with
   * the device's pinned key (the key the server listed when this monitor
   * first saw the device); before it, MON_DEVICE_KEY_CHANGED when the
   * server now lists another key.
   *
   * @example
   * events.push(...(await monitor.reportEvents(opened, 'listen 10.0.0.7', 3)))
   */
  async reportEvents(r: OpenedReport, from: string, seq?: number, receivedAt?: string): Promise<MonitorEvent[]> {
    const now = this.#now()
    const device = await this.#device(r.deviceId, now)
    const events: MonitorEvent[] = []
    if (device.changedTo !== undefined && firstReport(this.#state, `MON_DEVICE_KEY_CHANGED ${r.deviceId} ${device.changedTo}`)) {
      events.push(
        anomaly(now, 'MON_DEVICE_KEY_CHANGED', `the server lists public key ${device.changedTo.slice(0, 16)}… for device ${r.deviceId}; this monitor pinned ${device.publicKey!.slice(0, 16)}… when it first saw the device; its reports are checked against the pinned key`, {
          deviceId: r.deviceId,
          pinned: device.publicKey!,
          served: device.changedTo,
        }),
      )
    }
    const source = { from, ...(seq === undefined ? {} : { seq }), ...(receivedAt === undefined ? {} : { receivedAt }) }
    events.push(reportEvent(now, r, checkDeviceSignature(r, device.publicKey), source, device.hostname, device.publicKey === undefined))
    return events
  }

  async #witness(
    url: string,
    cp: { size: number; rootHash: Uint8Array },
    root: SignedRoot,
    events: MonitorEvent[],
    flag: (f: Failure, key: string) => void,
    now: number,
  ): Promise<void> {
    const origin = this.#origin!
    const error = (summary: string): void => void events.push({ time: now, kind: 'error', summary, details: { witness: url } })
    try {
      const text = await witnessCheckpoint(url, origin)
      const w = text === undefined ? undefined : openWitnessCheckpoint(text, root)
      if (text !== undefined && w === undefined) error(`the witness at ${url} serves a checkpoint that does not verify under root v${root.root.version}`)
      if (w !== undefined) {
        const wc = w.checkpoint
        if (wc.size > cp.size) {
          // verified above under the root in force: a witness cosigned more of this log than the server shows us
          flag(
            { ok: false, code: 'MON_WITNESS_AHEAD', message: `the witness at ${url} cosigned size ${wc.size}; the server serves only size ${cp.size}: it is hiding newer checkpoints (and their entries) from this monitor` },
            `witness ${url} ${wc.size}`,
          )
        }
        const fork = (message: string): void => flag({ ok: false, code: 'MON_FORK', message }, `witness ${url} ${wc.size} ${toBase64(wc.rootHash)}`)
        if (wc.size === cp.size && toBase64(wc.rootHash) !== toBase64(cp.rootHash)) {
          fork(`the witness at ${url} cosigned size ${wc.size} with root ${toBase64(wc.rootHash)}; the server's checkpoint of that size has ${toBase64(cp.rootHash)}: two histories`)
        } else if (wc.size < cp.size && wc.size > 0) {
          const proof = await this.#consistency(wc.size, cp.size)
          if (!merkle.verifyConsistency(wc.size, cp.size, proof, wc.rootHash, cp.rootHash)) {
            fork(`the server's checkpoint of size ${cp.size} does not extend the one of size ${wc.size} the witness at ${url} cosigned`)
          }
        }
      }
    } catch (e) {
      if (!(e instanceof WitnessUnavailable)) throw e
      error(e.message)
    }
    const cursor = (this.#state.witnesses[url] ??= { after: 0 })
    try {
      for (let page = 0; page < REPORT_PAGES_PER_ROUND; page++) {
        const { reports, next } = await witnessReports(url, origin, cursor.after)
        for (const r of reports) {
          if (r.seq > cursor.after + 1) {
            const lost = r.seq - cursor.after - 1
            flag(
              { ok: false, code: 'MON_REPORT_GAP', message: `the witness at ${url} serves report #${r.seq} after #${cursor.after}: ${lost} report${lost === 1 ? ' was' : 's were'} lost or removed before this monitor read ${lost === 1 ? 'it' : 'them'}` },
              `witness ${url} ${cursor.after} ${r.seq}`,
            )
          }
          try {
            events.push(...(await this.reportEvents(openReport(r.envelope), `witness ${url}`, r.seq, r.receivedAt)))
          } catch (e) {
            error(`the witness at ${url} serves report #${r.seq} that does not parse: ${why(e)}`)
          }
          cursor.after = r.seq
        }
        if (reports.length < 500 || next <= 0) break
      }
    } catch (e) {
      if (!(e instanceof WitnessUnavailable)) throw e
      error(e.message)
    }
  }

  /** The server's consistency proof, or [] when it refuses (the proof then fails the check). */
  async #consistency(from: number, to: number): Promise<Uint8Array[]> {
    const s = this.#o.session
    try {
      return await s.api.get(s.path('/log/proof/consistency'), (b) => array(object(b, 'answer')['proof'], 'proof', (x, w) => base64(x, w), 64), {
        query: { from, to },
      })
    } catch (e) {
      if (isCliError(e, 'CLI_SERVER_REFUSED') || isCliError(e, 'CLI_SERVER_RESPONSE')) return []
      throw e
    }
  }

  /** The server's word on the fleet: device count, hostnames, and the listed targets of Merkle-targeted commands among `entries`. */
  async #fleet(entries: readonly LogEntry[]): Promise<Fleet | undefined> {
    const s = this.#o.session
    let devices
    try {
      devices = await listDevices(s)
    } catch (e) {
      if (isCliError(e, 'CLI_SERVER_REFUSED')) return undefined
      throw e
    }
    const listedTargets = new Map<string, readonly string[]>()
    for (const e of entries) {
      try {
        const env = dsse.parseEnvelope(e.data)
        if (env.payloadType !== COMMAND_PAYLOAD_TYPE) continue
        const p = parseCommandPayload(env.payload)
        if (p.targets.kind !== 'merkle') continue
        const detail = await getCommand(s, p.id)
        listedTargets.set(p.id, detail.deliveries.map((d) => d.deviceId))
      } catch {
        // entry-events.ts reports what does not parse; a command the server will not describe stays undescribed
      }
    }
    return { count: devices.length, hostnames: new Map(devices.map((d) => [d.id, d.hostname])), listedTargets }
  }

  /**
   * The device as the server lists it, against the key pinned on first
   * sight (trust on first use: the server could have lied then too, but
   * not later without MON_DEVICE_KEY_CHANGED). A 404 is remembered for
   * UNKNOWN_DEVICE_RETRY_MS only: the device may be enrolled since.
   */
  async #device(id: string, now: number): Promise<DeviceView> {
    const pins = this.#state.devices
    const pinned = Object.hasOwn(pins, id) ? pins[id] : undefined
    let listed = this.#devices.get(id)
    if (listed === undefined || ('unknownAt' in listed && now - listed.unknownAt >= UNKNOWN_DEVICE_RETRY_MS)) {
      try {
        const d = await getDevice(this.#o.session, id)
        listed = { publicKey: d.publicKey, hostname: d.hostname }
        this.#devices.set(id, listed)
      } catch (e) {
        if (isCliError(e, 'CLI_SERVER_REFUSED') && e.details?.['status'] === 404) this.#devices.set(id, { unknownAt: now })
        listed = undefined
      }
    }
    if (listed === undefined || 'unknownAt' in listed) return { publicKey: pinned, hostname: undefined }
    if (pinned === undefined) {
      if (listed.publicKey !== '') pins[id] = listed.publicKey
      return { publicKey: listed.publicKey === '' ? undefined : listed.publicKey, hostname: listed.hostname }
    }
    return { publicKey: pinned, hostname: listed.hostname, ...(listed.publicKey !== pinned ? { changedTo: listed.publicKey } : {}) }
  }
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16)
}
