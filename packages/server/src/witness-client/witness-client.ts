/**
 * The one module of the server that talks to witnesses: the client side of
 * the C2SP tlog-witness `add-checkpoint` call (c2sp.org/tlog-witness).
 *
 * Guarantees: `addCheckpoint` never throws and never hangs: every request
 * has a deadline (5 s by default, body included), answers are read up to a
 * size cap (64 KiB), redirects are refused, and every failure becomes a
 * short reason string written here (never text from the witness or the
 * network stack, which could be large or carry anything).
 *
 * Trusts: nothing the witness answers. A 200 body is returned as unverified
 * signature lines; the caller checks them against the witness key
 * (log/cosign-checkpoint.ts).
 */
import { formatAddCheckpointBody, type AddCheckpointRequest } from './add-checkpoint-body.js'

/** What one add-checkpoint call came to. */
export type AddCheckpointOutcome =
  /** 200: the witness's signature lines (unverified), each ending in a newline. */
  | { readonly kind: 'cosigned'; readonly lines: string }
  /** 409: the witness holds another size for this log; retry from it. */
  | { readonly kind: 'conflict'; readonly size: number }
  /** Anything else: refused, unreachable, too slow, nonsense. */
  | { readonly kind: 'failed'; readonly reason: string }

/** Asks witnesses to cosign; {@link httpWitnessClient} is the real one. */
export interface WitnessClient {
  /** POSTs to `<url>/add-checkpoint`. Never throws. */
  addCheckpoint(url: string, request: AddCheckpointRequest): Promise<AddCheckpointOutcome>
}

/** Options of {@link httpWitnessClient}. */
export interface HttpWitnessClientOptions {
  /** Deadline of one request, answer included (default 5000 ms). */
  readonly timeoutMs?: number
  /** Largest answer read (default 64 KiB): a few signature lines are ~150 bytes each. */
  readonly maxResponseBytes?: number
}

export const DEFAULT_WITNESS_TIMEOUT_MS = 5000
export const DEFAULT_WITNESS_MAX_RESPONSE_BYTES = 64 * 1024

// What tlog-witness says each refusal means; the reason names the status too.
const REFUSALS: Readonly<Record<number, string>> = {
  400: 'the witness found the request malformed (400)',
  403: 'the witness refused the log signature (403)',
  404: 'the witness does not know this log (404)',
  422: 'the witness refused the consistency proof (422)',
}

const SIZE_BODY = /^(0|[1-9][0-9]{0,15})\n?$/

/**
 * The HTTP witness client, over the platform `fetch`.
 *
 * @example
 * const client = httpWitnessClient({ timeoutMs: 5000 })
 * const outcome = await client.addCheckpoint('https://witness.example', { oldSize: 0, proof: [], note })
 * if (outcome.kind === 'cosigned') verify(outcome.lines)
 */
export function httpWitnessClient(options: HttpWitnessClientOptions = {}): WitnessClient {
  const timeoutMs = options.timeoutMs ?? DEFAULT_WITNESS_TIMEOUT_MS
  const maxBytes = options.maxResponseBytes ?? DEFAULT_WITNESS_MAX_RESPONSE_BYTES
  return Object.freeze({
    async addCheckpoint(url: string, request: AddCheckpointRequest): Promise<AddCheckpointOutcome> {
      let body: string
      let target: URL
      try {
        body = formatAddCheckpointBody(request)
        target = new URL('add-checkpoint', url.endsWith('/') ? url : `${url}/`)
      } catch {
        return failed('the request could not be built (bad URL or proof)')
      }
      const signal = AbortSignal.timeout(timeoutMs)
      // A kept-alive connection the witness closed just as this request went
      // out fails before any answer was read. add-checkpoint may be sent
      // again (the witness answers a repeat with the same cosignature or a
      // 409 with its size), so such a reset gets one more try on a fresh
      // connection, inside the same deadline.
      for (let attempt = 1; ; attempt++) {
        try {
          return await postOnce(target, body, signal, maxBytes)
        } catch (e) {
          if (signal.aborted) return failed(`no answer within ${timeoutMs} ms`)
          const code = networkCode(e)
          if (attempt === 1 && RESET_CODES.has(code)) continue
          return failed(`connection failed${code === '' ? '' : ` (${code})`}`)
        }
      }
    },
  })
}

// What undici reports when the peer closed or reset the connection under a request.
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET'])

/** One POST; throws only for network failures (fetch's own). */
async function postOnce(target: URL, body: string, signal: AbortSignal, maxBytes: number): Promise<AddCheckpointOutcome> {
  const res = await fetch(target, {
    method: 'POST',
    body,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
    // A redirect is answered as a failure below, never followed: the
    // configured URL is the witness, and a request is not resent elsewhere.
    redirect: 'manual',
    signal,
  })
  const text = await readBounded(res, maxBytes)
  if (text === undefined) return failed(`the answer (HTTP ${res.status}) is larger than ${maxBytes} bytes or not UTF-8`)
  if (res.status === 200) return { kind: 'cosigned', lines: text }
  if (res.status >= 300 && res.status < 400) return failed(`the witness redirected (HTTP ${res.status}); redirects are not followed`)
  if (res.status === 409) {
    const m = SIZE_BODY.exec(text)
    const size = Number(m?.[1])
    if (m !== null && Number.isSafeInteger(size)) return { kind: 'conflict', size }
    // A witness that knows the org's root refuses a stale root line with a 409 and a text reason.
    const reason = text.split('\n')[0]!.replace(/[^\x20-\x7e]/g, '?').slice(0, 200)
    return failed(/^WIT_[A-Z_]+: /.test(reason) ? `the witness refused (409): ${reason}` : 'HTTP 409 without a valid size')
  }
  return failed(REFUSALS[res.status] ?? `HTTP ${res.status}`)
}

function failed(reason: string): AddCheckpointOutcome {
  return { kind: 'failed', reason }
}

/** Reads at most `max` bytes of UTF-8; undefined when larger or not UTF-8. */
async function readBounded(res: Response, max: number): Promise<string | undefined> {
  const declared = Number(res.headers.get('content-length') ?? '0')
  if (declared > max || res.body === null) {
    await res.body?.cancel().catch(() => {})
    return declared > max ? undefined : ''
  }
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > max) {
      await reader.cancel().catch(() => {})
      return undefined
    }
    chunks.push(value)
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks))
  } catch {
    return undefined
  }
}

/** fetch's cause code (`ECONNREFUSED`), when it is a plain error code; else ''. */
function networkCode(e: unknown): string {
  const code = (e as { cause?: { code?: unknown } } | null)?.cause?.code
  return typeof code === 'string' && /^[A-Z_]{2,40}$/.test(code) ? code : ''
}
