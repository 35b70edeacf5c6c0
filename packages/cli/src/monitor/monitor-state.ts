/**
 * What `palisade monitor` remembers between rounds and runs, one JSON file
 * (default `<palisade home>/monitor-<org>.json`, mode 0600), written
 * atomically after every round:
 *
 *     { "version": 1, "org": "acme", "server": "https://…", "fingerprint": "<root v1 fp>",
 *       "size": 12, "rootHash": "<base64>", "frontier": ["<base64 peak>", …],
 *       "rootVersion": 2, "signers": ["<admin key id>", …],
 *       "witnesses": { "<url>": { "after": 7 } }, "reported": ["MON_FORK 12 …", …],
 *       "devices": { "<device id>": "<base64 public key>" } }
 *
 * `size`/`rootHash`/`frontier` are the last cosigned checkpoint the monitor
 * verified entry by entry (so a restart neither re-prints nor trusts
 * anything again); `rootVersion` the root in force at that size;
 * `signers` every admin key seen signing a command (MON_NEW_SIGNER);
 * `witnesses` the last report seq read from each witness; `reported` the
 * keys of anomalies already printed, so a standing anomaly is printed once;
 * `devices` each device's public key as first seen (trust on first use:
 * a key the server lists later is compared with it, MON_DEVICE_KEY_CHANGED).
 * A state without `devices` (an older monitor) reads as none pinned.
 *
 * Guarantees: a state read back is well-formed and belongs to the same
 * org, server and pinned fingerprint (else CLI_CONFIG_INVALID: a monitor
 * must never compare one org's log against another's state); bounded lists.
 * Trusts: the file (it lives in the private home).
 */
import { FINGERPRINT_RE, fromBase64, merkle, parseJson, toBase64 } from '@palisade/protocol'
import { dirname } from 'node:path'
import { CliError, ioError } from '../errors.js'
import { ensurePrivateDirectory, readFileBounded, writeFileAtomic } from '../io/atomic-file.js'

const MAX_BYTES = 8 * 1024 * 1024
/** Anomaly keys remembered at most (the oldest are forgotten). */
export const MAX_REPORTED = 1000

/** The monitor's memory. Mutable: a round updates it, then it is saved. */
export interface MonitorState {
  org: string
  server: string
  fingerprint: string
  /** The last verified checkpoint; 0 / empty root before the first. */
  size: number
  rootHash: string
  frontier: string[]
  rootVersion: number
  signers: string[]
  witnesses: Record<string, { after: number }>
  reported: string[]
  /** Device id → base64 public key, pinned on first sight. */
  devices: Record<string, string>
}

/** A fresh state: nothing seen yet. */
export function initialState(org: string, server: string, fingerprint: string): MonitorState {
  return { org, server, fingerprint, size: 0, rootHash: '', frontier: [], rootVersion: 0, signers: [], witnesses: {}, reported: [], devices: {} }
}

/**
 * The Merkle frontier a state saved (`size` and base64 peak hashes, largest
 * subtree first). PROTO_MALFORMED when the peaks do not fit the size.
 *
 * @example
 * const f = restoreFrontier(state.size, state.frontier)
 */
export function restoreFrontier(size: number, frontier: readonly string[]): merkle.Frontier {
  return merkle.Frontier.fromPeaks(size, frontier.map((p) => fromBase64(p, 'a frontier peak')))
}

/**
 * The `frontier` member of a state: the peak hashes, base64.
 *
 * @example
 * state.frontier = saveFrontier(growth.frontier)
 */
export function saveFrontier(f: merkle.Frontier): string[] {
  return f.peaks().map((p) => toBase64(p))
}

/**
 * Reads the state at `path`, or a fresh one when there is none.
 *
 * @example
 * const state = await loadState(path, { org, server, fingerprint })
 */
export async function loadState(path: string, expect: { org: string; server: string; fingerprint: string }): Promise<MonitorState> {
  const invalid = (why: string): CliError =>
    new CliError('CLI_CONFIG_INVALID', `the monitor state ${path} is invalid: ${why}`, { hint: `move ${path} away to start following from scratch`, details: { path } })
  const raw = await readFileBounded(path, MAX_BYTES, { onInvalid: invalid })
  if (raw === undefined) return initialState(expect.org, expect.server, expect.fingerprint)
  let d: Record<string, unknown>
  try {
    d = parseJson(new Uint8Array(raw), MAX_BYTES, 'monitor state') as Record<string, unknown>
  } catch {
    throw invalid('it is not JSON')
  }
  if (typeof d !== 'object' || d === null || d['version'] !== 1) throw invalid('it is not a version 1 monitor state')
  for (const k of ['org', 'server', 'fingerprint'] as const) {
    if (d[k] !== expect[k]) throw invalid(`it follows ${k} ${JSON.stringify(d[k])}, not ${JSON.stringify(expect[k])}`)
  }
  const strings = (v: unknown, what: string, max: number): string[] => {
    if (!Array.isArray(v) || v.length > max || !v.every((x) => typeof x === 'string')) throw invalid(`${what} is not a list of strings`)
    return v as string[]
  }
  const count = (v: unknown, what: string): number => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw invalid(`${what} is not a count`)
    return v
  }
  const size = count(d['size'], 'size')
  const frontier = strings(d['frontier'], 'frontier', 64)
  try {
    restoreFrontier(size, frontier)
  } catch (e) {
    throw invalid(`frontier: ${(e as Error).message}`)
  }
  const w = d['witnesses']
  if (typeof w !== 'object' || w === null || Array.isArray(w)) throw invalid('witnesses is not an object')
  const witnesses: Record<string, { after: number }> = {}
  for (const [url, v] of Object.entries(w as Record<string, unknown>)) witnesses[url] = { after: count((v as { after?: unknown })?.after, `witnesses.${url}.after`) }
  if (typeof d['rootHash'] !== 'string' || !FINGERPRINT_RE.test(String(d['fingerprint']))) throw invalid('rootHash or fingerprint is malformed')
  const dv = d['devices'] ?? {}
  if (typeof dv !== 'object' || dv === null || Array.isArray(dv)) throw invalid('devices is not an object')
  const devices: Record<string, string> = {}
  for (const [id, key] of Object.entries(dv as Record<string, unknown>)) {
    if (typeof key !== 'string' || key.length > 200) throw invalid(`devices.${id} is not a public key`)
    devices[id] = key
  }
  return {
    org: expect.org,
    server: expect.server,
    fingerprint: expect.fingerprint,
    size,
    rootHash: d['rootHash'],
    frontier,
    rootVersion: count(d['rootVersion'], 'rootVersion'),
    signers: strings(d['signers'], 'signers', 100_000),
    witnesses,
    reported: strings(d['reported'], 'reported', MAX_REPORTED),
    devices,
  }
}

/**
 * Writes the state atomically (mode 0600), creating its directory (0700).
 *
 * @example
 * await saveState(path, state)
 */
export async function saveState(path: string, state: MonitorState): Promise<void> {
  await ensurePrivateDirectory(dirname(path))
  try {
    await writeFileAtomic(path, JSON.stringify({ version: 1, ...state }, null, 1) + '\n', { overwrite: true, mode: 0o600 })
  } catch (e) {
    throw ioError('write', path, e)
  }
}

/**
 * Records that an anomaly with `key` was printed; false when it already was.
 *
 * @example
 * if (firstReport(state, `MON_FORK ${size}`)) events.push(anomaly(...))
 */
export function firstReport(state: MonitorState, key: string): boolean {
  if (state.reported.includes(key)) return false
  state.reported.push(key)
  if (state.reported.length > MAX_REPORTED) state.reported.splice(0, state.reported.length - MAX_REPORTED)
  return true
}
