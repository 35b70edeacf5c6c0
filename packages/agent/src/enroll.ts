/**
 * Enrollment: the one moment a device meets its server and its org.
 *
 * Guarantees:
 * - the device key is made here (32 random bytes from the OS) and only its
 *   public half leaves the machine;
 * - the org root chain the server returns is verified from the fingerprint
 *   the installer was given out of band (initialTrustState); a server that
 *   offers any other root, or a chain that does not verify, is refused and
 *   NOTHING is written, not even the state directory;
 * - an existing enrollment is never overwritten (AGENT_ALREADY_ENROLLED);
 * - the state directory is 0700 and every file in it 0600; device.json is
 *   written last, so a crash mid-way leaves no half-enrolled device (a
 *   later enrollment replaces the leftovers);
 * - the token is sent in the request body only (up to three times, when an
 *   answer may have been lost: postWithRetries), and appears in no error,
 *   log line or file.
 *
 * Trusts: the pinned fingerprint (the installer's job to get right), the
 * OS random source, and the local filesystem. Not the server: its answer is
 * parsed as untrusted input, and only the root chain is believed, because
 * it verifies from the pin.
 */
import { randomBytes } from 'node:crypto'
import { access, chmod, constants, mkdir, stat } from 'node:fs/promises'
import { hostname as osHostname } from 'node:os'
import { dirname } from 'node:path'
import {
  currentRoot,
  FINGERPRINT_RE,
  ID_RE,
  initialTrustState,
  isProtocolError,
  keyId,
  nodePublicKey,
  ORG_ID_RE,
  toBase64,
} from '@palisade/protocol'
import { AgentError, systemErrorCode } from './errors.js'
import { collectInventory, type Inventory } from './inventory/collect.js'
import { postJson, type JsonResponse } from './net/post-json.js'
import { parseServerList, removeServerList, writeServerList } from './net/server-list.js'
import { parseServerUrl } from './net/server-url.js'
import { writeFileAtomic } from './state/atomic-file.js'
import { formatDeviceRecord, type DeviceRecord } from './state/device-record.js'
import { writeTrustState } from './state/device-state.js'
import { stateLayout, type StateLayout } from './state/layout.js'

/** What `enroll` needs: the three values of the install command and where to keep the state. */
export interface EnrollOptions {
  /** Server base URL, http(s): enrollment goes there, and the agent connects there first. */
  readonly server: string
  /** More server base URLs (other nodes of the same server), tried in order when a connection ends (net/server-list.ts). */
  readonly fallbackServers?: readonly string[] | undefined
  /** The one-time enrollment token. Never logged. */
  readonly token: string
  /** SHA-256 fingerprint of org root v1 (64 hex digits), handed out of band. */
  readonly fingerprint: string
  readonly stateDir: string
  /** Give up on one try after this long (default 30 s); a lost answer is tried again, up to 3 tries in all. */
  readonly timeoutMs?: number | undefined
  /** Hostname to register; default os.hostname(). */
  readonly hostname?: string | undefined
  /** The inventory sent with the request; default collectInventory(). Pass null to send none. */
  readonly inventory?: Inventory | null | undefined
}

/** What enrollment produced. */
export interface Enrollment extends DeviceRecord {
  readonly stateDir: string
  readonly keyId: string
  readonly rootVersion: number
  /** Every server the agent will connect to, `server` first. */
  readonly servers: readonly string[]
}

const TOKEN_RE = /^[\x21-\x7e]{1,4096}$/
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024
const DEFAULT_TIMEOUT_MS = 30_000
/** Tries of the enrollment request (postWithRetries), and the pause before the n-th retry (n × this). */
const ATTEMPTS = 3
const RETRY_PAUSE_MS = 1000
const RETRY_STATUSES: ReadonlySet<number> = new Set([502, 503, 504])
/** Failures after which the server may have enrolled the device (post-json.ts reasons); not a refused connection, a lookup or a TLS failure. */
const LOST_ANSWER_REASONS: ReadonlySet<string> = new Set(['timeout', 'ECONNRESET', 'UND_ERR_SOCKET', 'ETIMEDOUT'])

/**
 * Enrolls this machine and writes its state.
 *
 * Errors: AGENT_ARG_INVALID, AGENT_ALREADY_ENROLLED, AGENT_SERVER_UNREACHABLE,
 * AGENT_ENROLL_REFUSED, AGENT_SERVER_RESPONSE_INVALID, AGENT_ROOT_UNTRUSTED,
 * AGENT_FILE_WRITE_FAILED.
 *
 * @example
 * const e = await enroll({ server: 'https://p.example.com', token, fingerprint, stateDir: '/var/lib/palisade-agent' })
 * console.log(e.deviceId)
 */
export async function enroll(opts: EnrollOptions): Promise<Enrollment> {
  const server = parseServerUrl(opts.server)
  const servers = parseServerList([server, ...(opts.fallbackServers ?? [])])
  if (typeof opts.token !== 'string' || !TOKEN_RE.test(opts.token)) {
    throw new AgentError('AGENT_ARG_INVALID', 'invalid token: 1 to 4096 printable ASCII characters without spaces')
  }
  const fingerprint = typeof opts.fingerprint === 'string' ? opts.fingerprint.toLowerCase() : ''
  if (!FINGERPRINT_RE.test(fingerprint)) throw new AgentError('AGENT_ARG_INVALID', 'invalid fingerprint: 64 hexadecimal digits')
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000) {
    throw new AgentError('AGENT_ARG_INVALID', 'timeoutMs must be an integer from 1 to 600000')
  }
  const layout = stateLayout(opts.stateDir)
  // Before the token is spent: a state we could not write would waste it.
  await refuseEnrolled(layout)
  await requireWritable(layout.dir)

  const seed = new Uint8Array(randomBytes(32))
  const publicKey = nodePublicKey(seed)
  const inventory = opts.inventory === undefined ? await collectInventory() : opts.inventory
  const host = (opts.hostname ?? osHostname()).slice(0, 255)
  const body = { token: opts.token, publicKey: toBase64(publicKey), hostname: host, ...(inventory === null ? {} : { inventory }) }
  const res = await postWithRetries(server, body, timeoutMs)
  if (res.status < 200 || res.status > 299) throw refused(server, res.status, res.json, opts.token)
  const answer = parseEnrollResponse(server, res.json)

  let trust
  try {
    trust = initialTrustState(fingerprint, answer.roots, Math.floor(Date.now() / 1000))
  } catch (e) {
    const code = isProtocolError(e) ? e.code : 'PROTO_MALFORMED'
    throw new AgentError(
      'AGENT_ROOT_UNTRUSTED',
      `the org root from the server at ${server} does not verify from the pinned fingerprint ${fingerprint} (${code}: ${(e as Error).message}); nothing was written`,
      { cause: e, details: { server, fingerprint, protocolCode: code } },
    )
  }
  const root = currentRoot(trust).root
  if (root.org !== answer.org) {
    throw new AgentError('AGENT_SERVER_RESPONSE_INVALID', `the server at ${server} enrolled this device in org "${answer.org}" but its root is for org "${root.org}"; nothing was written`, {
      details: { server },
    })
  }

  const record: DeviceRecord = Object.freeze({ deviceId: answer.deviceId, org: root.org, server, publicKey: toBase64(publicKey), fingerprint })
  await refuseEnrolled(layout) // another enrollment may have finished meanwhile
  await makePrivateDir(layout.dir)
  await makePrivateDir(layout.spoolDir)
  await makePrivateDir(layout.runningDir)
  await writeFileAtomic(layout.keyFile, seed)
  await writeTrustState(layout, trust)
  if (servers.length > 1) await writeServerList(layout.dir, servers)
  else await removeServerList(layout.dir)
  await writeFileAtomic(layout.deviceFile, formatDeviceRecord(record))
  return Object.freeze({ ...record, stateDir: layout.dir, keyId: keyId(publicKey), rootVersion: root.version, servers: Object.freeze(servers) })
}

/**
 * The enrollment request, tried up to {@link ATTEMPTS} times (each within
 * `timeoutMs`) when its answer may have been lost (a timeout, a connection
 * cut mid-way) or the server is briefly unavailable (502, 503, 504). Every
 * try carries the same key, token and hostname, so the server answers a
 * retry with the device the lost answer named (its enroll route), rather
 * than leaving a device no agent can name and a token use gone. A server
 * that refused the connection never saw the request: that fails at once.
 */
async function postWithRetries(server: string, body: Record<string, unknown>, timeoutMs: number): Promise<JsonResponse> {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await postJson(server, `${server}/v1/enroll`, body, { timeoutMs, maxBytes: MAX_RESPONSE_BYTES })
      if (!RETRY_STATUSES.has(res.status) || attempt === ATTEMPTS) return res
    } catch (e) {
      if (!answerMayBeLost(e) || attempt === ATTEMPTS) throw e
    }
    await new Promise((r) => setTimeout(r, RETRY_PAUSE_MS * attempt))
  }
}

/** Whether a failed request may have reached the server (so trying again with the same key is the way to learn its answer). */
function answerMayBeLost(e: unknown): boolean {
  if (!(e instanceof AgentError) || e.code !== 'AGENT_SERVER_UNREACHABLE') return false
  const reason = (e.details as { reason?: unknown } | undefined)?.reason
  return reason === undefined || LOST_ANSWER_REASONS.has(String(reason))
}

async function refuseEnrolled(layout: StateLayout): Promise<void> {
  try {
    await stat(layout.deviceFile)
  } catch (e) {
    if (systemErrorCode(e) === 'ENOENT') return
    throw new AgentError('AGENT_FILE_READ_FAILED', `cannot check ${layout.deviceFile}: ${(e as Error).message}`, { cause: e })
  }
  throw new AgentError('AGENT_ALREADY_ENROLLED', `${layout.dir} already holds an enrolled device (${layout.deviceFile}); enrollment never replaces one`, {
    details: { path: layout.deviceFile },
  })
}

/** The directory, or its nearest existing ancestor, must be writable by us. */
async function requireWritable(dir: string): Promise<void> {
  for (let d = dir; ; d = dirname(d)) {
    try {
      const st = await stat(d)
      if (!st.isDirectory()) throw new AgentError('AGENT_ARG_INVALID', `${d} is not a directory`)
      await access(d, constants.W_OK | constants.X_OK)
      return
    } catch (e) {
      if (e instanceof AgentError) throw e
      if (systemErrorCode(e) !== 'ENOENT' || dirname(d) === d) {
        throw new AgentError('AGENT_FILE_WRITE_FAILED', `cannot create the state directory ${dir}: ${d} is not writable (${systemErrorCode(e) ?? 'error'})`, {
          cause: e,
          details: { path: d },
        })
      }
    }
  }
}

async function makePrivateDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 })
    await chmod(dir, 0o700) // an existing directory may have been looser
  } catch (e) {
    throw new AgentError('AGENT_FILE_WRITE_FAILED', `cannot create ${dir}: ${(e as Error).message}`, { cause: e, details: { path: dir } })
  }
}

interface EnrollAnswer {
  readonly deviceId: string
  readonly org: string
  readonly roots: readonly string[]
}

// Attacker-controlled (A1): parsed for shape only; the roots are believed
// only after initialTrustState verified them from the pin.
function parseEnrollResponse(server: string, v: unknown): EnrollAnswer {
  const bad = (why: string): never => {
    throw new AgentError('AGENT_SERVER_RESPONSE_INVALID', `the server at ${server} answered the enrollment with ${why}`, { details: { server } })
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return bad('something that is not a JSON object')
  const o = v as Record<string, unknown>
  if (typeof o['deviceId'] !== 'string' || !ID_RE.test(o['deviceId'])) bad('no valid deviceId')
  if (typeof o['org'] !== 'string' || !ORG_ID_RE.test(o['org'])) bad('no valid org')
  const roots = o['roots']
  if (!Array.isArray(roots) || roots.length < 1 || roots.length > 1024 || !roots.every((r) => typeof r === 'string')) {
    bad('no roots (an array of 1 to 1024 envelope strings)')
  }
  return { deviceId: o['deviceId'] as string, org: o['org'] as string, roots: roots as string[] }
}

/** An RFC 9457 problem as an AgentError; server text is cut, made printable, and cleaned of the token. */
function refused(server: string, status: number, body: unknown, token: string): AgentError {
  const p = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {}
  const code = typeof p['code'] === 'string' && /^[A-Z][A-Z0-9_]{0,63}$/.test(p['code']) ? p['code'] : undefined
  const text = typeof p['detail'] === 'string' ? p['detail'] : typeof p['title'] === 'string' ? p['title'] : ''
  const detail = text.split(token).join('<token>').replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').slice(0, 300)
  return new AgentError(
    'AGENT_ENROLL_REFUSED',
    `the server at ${server} refused the enrollment (HTTP ${status}${code === undefined ? '' : `, ${code}`})${detail === '' ? '' : `: ${detail}`}`,
    { details: { server, status, ...(code === undefined ? {} : { serverCode: code }) } },
  )
}
