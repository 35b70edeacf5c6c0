/**
 * The one HTTP client of the CLI: JSON over fetch to the palisade server
 * (docs/WIRE.md). Every network call of every command goes through here, so
 * the rules hold everywhere:
 *
 * - The API key travels only in the Authorization header of requests to the
 *   configured server; it is never printed (only its prefix) and redirects
 *   are not followed, so it cannot be forwarded elsewhere.
 * - Every request has a timeout, and every answer a size cap: a server that
 *   stalls or floods gets an error, not a hung or exhausted CLI.
 * - A failure is always a CliError: CLI_SERVER_UNREACHABLE (no connection,
 *   timeout), CLI_SERVER_REFUSED (an RFC 9457 problem, see problem.ts; a
 *   409 that names a field says which, see conflict-error.ts) or
 *   CLI_SERVER_RESPONSE (an answer that is not what the API promises).
 *
 * What it trusts: nothing in an answer. Readers (shape.ts) type-check the
 * body; the commands verify what matters with @palisade/protocol.
 */
import { parseJson } from '@palisade/protocol'
import type { Secret } from '../config/config.js'
import { CliError, serverUnreachable } from '../errors.js'
import { conflictError } from './conflict-error.js'
import { readProblem } from './problem.js'
import { ShapeError } from './shape.js'

/** Default timeout of one request, answer included. */
export const DEFAULT_TIMEOUT_MS = 30_000
/** Default cap on an answer's size. */
export const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024

/** The slice of fetch the client needs (the global one unless given). */
export type Fetch = (url: string, init: RequestInit) => Promise<Response>

/** Options of ApiClient. */
export interface ApiClientOptions {
  /** Base URL as parseServerUrl returns it (no trailing slash). */
  readonly server: string
  /** Sent as `Authorization: Bearer …` when given. */
  readonly apiKey?: Secret | undefined
  readonly timeoutMs?: number
  readonly maxResponseBytes?: number
  readonly fetch?: Fetch
}

/** Options of one request. */
export interface RequestOptions {
  readonly query?: Readonly<Record<string, string | number>>
  readonly timeoutMs?: number
  readonly maxResponseBytes?: number
}

/** Reads a decoded JSON answer into a typed value; throws ShapeError when it does not fit. */
export type Reader<T> = (body: unknown) => T

/**
 * A client for one server.
 *
 * @example
 * const api = new ApiClient({ server: 'https://p.example', apiKey })
 * const roots = await api.get('/v1/orgs/acme/roots', readRoots)
 */
export class ApiClient {
  readonly server: string
  readonly #apiKey: Secret | undefined
  readonly #timeoutMs: number
  readonly #maxBytes: number
  readonly #fetch: Fetch

  constructor(options: ApiClientOptions) {
    this.server = options.server
    this.#apiKey = options.apiKey
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    this.#maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES
    this.#fetch = options.fetch ?? ((url, init) => fetch(url, init))
  }

  /** GET `path` (which starts with /v1/) and read the JSON answer. */
  get<T>(path: string, read: Reader<T>, options: RequestOptions = {}): Promise<T> {
    return this.#request('GET', path, undefined, read, options)
  }

  /** POST a JSON `body` to `path` and read the JSON answer. */
  post<T>(path: string, body: unknown, read: Reader<T>, options: RequestOptions = {}): Promise<T> {
    return this.#request('POST', path, body, read, options)
  }

  /** PUT a JSON `body` to `path` (which replaces or binds what it names) and read the JSON answer. */
  put<T>(path: string, body: unknown, read: Reader<T>, options: RequestOptions = {}): Promise<T> {
    return this.#request('PUT', path, body, read, options)
  }

  /** PATCH `path` with a JSON `body` (a partial change, usually with the `version` it was made from) and read the JSON answer. */
  patch<T>(path: string, body: unknown, read: Reader<T>, options: RequestOptions = {}): Promise<T> {
    return this.#request('PATCH', path, body, read, options)
  }

  /** DELETE `path` and read the JSON answer. */
  delete<T>(path: string, read: Reader<T>, options: RequestOptions = {}): Promise<T> {
    return this.#request('DELETE', path, undefined, read, options)
  }

  async #request<T>(method: string, path: string, body: unknown, read: Reader<T>, options: RequestOptions): Promise<T> {
    const url = new URL(this.server + path)
    for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, String(v))
    const route = `${method} ${url.pathname}`
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs
    const maxBytes = options.maxResponseBytes ?? this.#maxBytes
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json' }
    if (body !== undefined) headers['content-type'] = 'application/json'
    if (this.#apiKey !== undefined) headers['authorization'] = `Bearer ${this.#apiKey.reveal()}`

    let res: Response
    let raw: Uint8Array
    try {
      res = await this.#fetch(url.href, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        // never follow: a redirect would carry the API key to another place
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      })
      raw = await readBounded(res, maxBytes)
    } catch (e) {
      if (e instanceof CliError) throw e
      if (e instanceof TooLarge) throw this.#bad(route, `the answer is larger than ${maxBytes} bytes`)
      if ((e as { name?: unknown } | null)?.name === 'TimeoutError') {
        throw new CliError('CLI_SERVER_UNREACHABLE', `cannot reach the server at ${this.server}: no answer to ${route} within ${timeoutMs / 1000} s`, {
          server: this.server,
          cause: e,
          details: { reason: 'timeout' },
        })
      }
      throw serverUnreachable(this.server, e)
    }

    if (res.status >= 300 && res.status < 400) {
      const to = res.headers.get('location') ?? 'another URL'
      throw new CliError('CLI_SERVER_RESPONSE', `the server at ${this.server} redirected ${route} to ${to.slice(0, 200)}`, {
        server: this.server,
        hint: 'give the final URL with --server (redirects are not followed, so the API key stays with one server)',
        details: { status: res.status },
      })
    }
    const decoded = decodeJson(raw)
    if (!res.ok) throw conflictError(this.server, readProblem(res.status, decoded.ok ? decoded.value : undefined))
    if (!decoded.ok) throw this.#bad(route, 'the answer is not JSON')
    try {
      return read(decoded.value)
    } catch (e) {
      if (e instanceof ShapeError) throw this.#bad(route, e.message)
      throw e
    }
  }

  #bad(route: string, why: string): CliError<'CLI_SERVER_RESPONSE'> {
    return new CliError('CLI_SERVER_RESPONSE', `the server at ${this.server} sent an invalid answer to ${route}: ${why}`, { server: this.server })
  }
}

class TooLarge extends Error {}

/** The body, refusing more than `max` bytes (checked before and while reading). */
async function readBounded(res: Response, max: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? NaN)
  if (declared > max) {
    await res.body?.cancel().catch(() => undefined)
    throw new TooLarge()
  }
  if (res.body === null) return new Uint8Array(0)
  const chunks: Uint8Array[] = []
  let n = 0
  const reader = res.body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    n += value.length
    if (n > max) {
      await reader.cancel().catch(() => undefined)
      throw new TooLarge()
    }
    chunks.push(value)
  }
  const out = new Uint8Array(n)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.length
  }
  return out
}

function decodeJson(raw: Uint8Array): { ok: true; value: unknown } | { ok: false } {
  if (raw.length === 0) return { ok: true, value: null }
  try {
    // strict: invalid UTF-8 and duplicate member names are refused
    return { ok: true, value: parseJson(raw, raw.length, 'answer') }
  } catch {
    return { ok: false }
  }
}
