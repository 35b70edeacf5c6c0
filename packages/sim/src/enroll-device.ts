/**
 * Enrolls one simulated device through the real `POST /v1/enroll`, with
 * its own fresh key and inventory, and verifies the returned root chain
 * from the pinned fingerprint as the real agent does (initialTrustState,
 * through SharedTrust). Tokens allow at most 10,000 uses each, so the
 * caller passes several: a token the server refuses (401: unknown,
 * expired, or used up) is skipped for good and the next one is tried.
 *
 * A request whose answer was lost (timeout, cut connection, 503/429) is
 * retried with the same token, even if the pool has moved on meanwhile:
 * the server answers a retry of the same key, token and hostname with the
 * device the first try made, and only that; sent with the next token, it
 * would be a second enrollment of a key already enrolled (409).
 *
 * The server's answer is untrusted: its shape is checked, and only the
 * root chain that verifies from the pin is believed. Tokens appear in no
 * error message.
 */
import { currentRoot, ID_RE, isProtocolError, ORG_ID_RE, type TrustState } from '@palisade/protocol'
import { generateDeviceKey, type DeviceKey } from './device-key.js'
import { SimError } from './errors.js'
import { simInventory } from './inventory.js'
import type { SharedTrust } from './shared-trust.js'

/** A device that enrolled. */
export interface EnrolledDevice {
  readonly deviceId: string
  readonly org: string
  readonly key: DeviceKey
  readonly trust: TrustState
}

/** The tokens of one simulator process, consumed in order. */
export class TokenPool {
  readonly #tokens: readonly string[]
  #current = 0

  constructor(tokens: readonly string[]) {
    this.#tokens = tokens
  }

  /** The token to use now, or undefined when every one was refused. */
  get current(): { readonly token: string; readonly n: number } | undefined {
    const token = this.#tokens[this.#current]
    return token === undefined ? undefined : { token, n: this.#current }
  }

  /** Token number `n` was refused: move past it (once, however many requests saw it). */
  refused(n: number): void {
    if (this.#current === n) this.#current++
  }
}

const TIMEOUT_MS = 30_000
const ATTEMPTS = 5

/**
 * @example
 * const d = await enrollDevice({ server, tokens: new TokenPool([t]), fingerprint, index: 0, shared })
 */
export async function enrollDevice(o: {
  readonly server: string
  readonly tokens: TokenPool
  readonly fingerprint: string
  readonly index: number
  readonly shared: SharedTrust
}): Promise<EnrolledDevice> {
  const key = generateDeviceKey()
  const hostname = `sim-${o.index}`
  const body = { publicKey: key.publicKey, hostname, inventory: simInventory(o.index, hostname) }
  /** The token of a request whose answer was lost: its retries keep it. */
  let retrying: { readonly token: string; readonly n: number } | undefined
  for (let attempt = 0; ; ) {
    const t = retrying ?? o.tokens.current
    if (t === undefined) {
      throw new SimError('SIM_ENROLL_REFUSED', `the server at ${o.server} refused every enrollment token given (unknown, expired or used up; each allows at most 10,000 devices)`)
    }
    let res: Response
    try {
      res = await fetch(`${o.server}/v1/enroll`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: t.token, ...body }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      })
    } catch (e) {
      if (++attempt < ATTEMPTS) {
        retrying = t
        await new Promise((r) => setTimeout(r, 200 * 2 ** attempt))
        continue
      }
      throw new SimError('SIM_SERVER_UNREACHABLE', `cannot reach ${o.server} to enroll after ${ATTEMPTS} tries: ${failureOf(e)}`, { cause: e })
    }
    const text = await res.text()
    if (res.status === 401) {
      o.tokens.refused(t.n)
      retrying = undefined
      continue
    }
    if (res.status === 503 || res.status === 429) {
      if (++attempt < ATTEMPTS) {
        retrying = t
        await new Promise((r) => setTimeout(r, 200 * 2 ** attempt))
        continue
      }
    }
    if (res.status !== 201) {
      throw new SimError('SIM_ENROLL_REFUSED', `the server at ${o.server} refused an enrollment: HTTP ${res.status} ${problemCode(text)}`.trim())
    }
    return parseAnswer(o, key, text)
  }
}

/** fetch's own message ("fetch failed") and the system error under it, e.g. "fetch failed (ECONNRESET: read ECONNRESET)". */
function failureOf(e: unknown): string {
  const cause = (e as { cause?: { code?: unknown; message?: unknown } } | null)?.cause
  const detail = cause === undefined ? '' : [cause.code, cause.message].filter((x) => typeof x === 'string').join(': ')
  return `${(e as Error).message}${detail === '' ? '' : ` (${detail.slice(0, 200)})`}`
}

function problemCode(text: string): string {
  try {
    const p = JSON.parse(text) as { code?: unknown }
    return typeof p.code === 'string' ? p.code.slice(0, 64) : ''
  } catch {
    return ''
  }
}

// Attacker-controlled (the server is untrusted): shape only, then the pin decides.
function parseAnswer(o: { readonly server: string; readonly fingerprint: string; readonly shared: SharedTrust }, key: DeviceKey, text: string): EnrolledDevice {
  const bad = (why: string): never => {
    throw new SimError('SIM_ENROLL_REFUSED', `the server at ${o.server} answered an enrollment with ${why}`)
  }
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    return bad('something that is not JSON')
  }
  const a = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>
  const deviceId = a['deviceId']
  const org = a['org']
  const roots = a['roots']
  if (typeof deviceId !== 'string' || !ID_RE.test(deviceId)) bad('no valid deviceId')
  if (typeof org !== 'string' || !ORG_ID_RE.test(org)) bad('no valid org')
  if (!Array.isArray(roots) || roots.length < 1 || roots.length > 1024 || !roots.every((r) => typeof r === 'string')) bad('no roots')
  let trust: TrustState
  try {
    trust = o.shared.initial(o.fingerprint, roots as string[], Math.floor(Date.now() / 1000))
  } catch (e) {
    const code = isProtocolError(e) ? e.code : 'PROTO_MALFORMED'
    throw new SimError('SIM_ROOT_UNTRUSTED', `the org root from ${o.server} does not verify from the pinned fingerprint ${o.fingerprint} (${code}: ${(e as Error).message})`, { cause: e })
  }
  if (currentRoot(trust).root.org !== org) bad(`org "${org as string}" but a root for org "${currentRoot(trust).root.org}"`)
  return Object.freeze({ deviceId: deviceId as string, org: org as string, key, trust })
}
