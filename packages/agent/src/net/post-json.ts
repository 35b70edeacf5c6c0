/**
 * The agent's HTTP call to its server (enrollment): POST a JSON body, read a
 * bounded JSON answer. With post-report.ts (monitors), the only modules of
 * the agent that call `fetch`.
 *
 * Guarantees: the request is abandoned after `timeoutMs`; the answer is
 * read up to `maxBytes` and no further; every failure is an AgentError that
 * names the server and says what went wrong, and never contains the request
 * body (which carries the one-time enrollment token).
 */
import { AgentError } from '../errors.js'

/** What the server answered. `json` is undefined when the body was not JSON. */
export interface JsonResponse {
  readonly status: number
  readonly json: unknown
}

const REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'timed out',
  UND_ERR_CONNECT_TIMEOUT: 'timed out connecting',
  UND_ERR_SOCKET: 'the connection closed early',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  CERT_HAS_EXPIRED: 'its TLS certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its TLS certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'its TLS certificate chain is not trusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its TLS certificate chain is not trusted',
  ERR_TLS_CERT_ALTNAME_INVALID: 'its TLS certificate does not match the host name',
}

function reasonOf(e: unknown): { reason: string; code?: string } {
  for (let cur = e, depth = 0; typeof cur === 'object' && cur !== null && depth < 4; depth++) {
    const code = (cur as { code?: unknown }).code
    if (typeof code === 'string' && code in REASONS) return { reason: REASONS[code]!, code }
    cur = (cur as { cause?: unknown }).cause
  }
  return { reason: 'the connection failed' }
}

/**
 * POSTs `body` as JSON to `url` (which lies under `server`).
 *
 * @example
 * const r = await postJson('https://p.example', 'https://p.example/v1/enroll', { token }, { timeoutMs: 30_000, maxBytes: 1 << 24 })
 */
export async function postJson(
  server: string,
  url: string,
  body: unknown,
  opts: { readonly timeoutMs: number; readonly maxBytes: number },
): Promise<JsonResponse> {
  const timeout = AbortSignal.timeout(opts.timeoutMs)
  let res: Response
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, application/problem+json' },
      body: JSON.stringify(body),
      redirect: 'error', // a redirect would re-send the token to wherever the server points
      signal: timeout,
    })
  } catch (e) {
    if (timeout.aborted) {
      throw new AgentError('AGENT_SERVER_UNREACHABLE', `the server at ${server} did not answer within ${opts.timeoutMs / 1000} s`, {
        details: { server, reason: 'timeout' },
      })
    }
    const { reason, code } = reasonOf(e)
    // the cause is fetch's TypeError, which holds the URL and the reason only, never the body
    throw new AgentError('AGENT_SERVER_UNREACHABLE', `cannot reach the server at ${server}: ${reason}`, {
      cause: e,
      details: { server, ...(code === undefined ? {} : { reason: code }) },
    })
  }
  let text: string
  try {
    text = await readBounded(res, server, opts.maxBytes)
  } catch (e) {
    if (e instanceof AgentError) throw e
    throw new AgentError('AGENT_SERVER_UNREACHABLE', `the server at ${server} stopped answering (${timeout.aborted ? 'timeout' : reasonOf(e).reason})`, {
      cause: e,
      details: { server },
    })
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, json }
}

async function readBounded(res: Response, server: string, maxBytes: number): Promise<string> {
  if (res.body === null) return ''
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.length
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined)
      throw new AgentError('AGENT_SERVER_RESPONSE_INVALID', `the server at ${server} answered with more than ${maxBytes} bytes`, {
        details: { server },
      })
    }
    chunks.push(value)
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(Buffer.concat(chunks, total))
}
