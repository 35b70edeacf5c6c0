/**
 * The agent's call to a monitor (docs/WIRE.md "Monitors"): POST one signed
 * report to `<monitor>/palisade/v1/reports`. With post-json.ts (enrollment)
 * the only modules of the agent that call `fetch`.
 *
 * Guarantees: the request is abandoned after `timeoutMs` (or when `signal`
 * aborts); a redirect is not followed (a monitor is named by the signed
 * root, and the server or a network attacker must not be able to send
 * reports elsewhere); the answer body is never read beyond a few KiB and
 * never parsed; success means a 2xx status and nothing else. Never throws.
 */

/** How one POST went. */
export type PostOutcome = { readonly ok: true; readonly status: number } | { readonly ok: false; readonly reason: string }

/** Bytes of an answer read before the connection is dropped: we only want the status. */
const MAX_ANSWER_BYTES = 4096

/** The report path under a monitor's base URL. */
export const MONITOR_REPORTS_PATH = '/palisade/v1/reports'

/**
 * @example
 * const r = await postReport('https://monitor.example.com', body, { timeoutMs: 10_000 })
 * if (!r.ok) retryLater(r.reason)
 */
export async function postReport(
  monitor: string,
  body: string,
  opts: { readonly timeoutMs: number; readonly signal?: AbortSignal | undefined },
): Promise<PostOutcome> {
  const timeout = AbortSignal.timeout(opts.timeoutMs)
  const signal = opts.signal === undefined ? timeout : AbortSignal.any([timeout, opts.signal])
  try {
    const res = await fetch(`${monitor}${MONITOR_REPORTS_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      redirect: 'manual',
      signal,
    })
    await drain(res)
    if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status }
    return { ok: false, reason: res.status >= 300 && res.status < 400 ? `redirect ${res.status} (not followed)` : `status ${res.status}` }
  } catch (e) {
    if (timeout.aborted) return { ok: false, reason: `no answer within ${opts.timeoutMs} ms` }
    if (opts.signal?.aborted === true) return { ok: false, reason: 'stopped' }
    return { ok: false, reason: reasonOf(e) }
  }
}

async function drain(res: Response): Promise<void> {
  if (res.body === null) return
  const reader = res.body.getReader()
  let total = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      total += value.length
      if (total > MAX_ANSWER_BYTES) {
        await reader.cancel()
        return
      }
    }
  } catch {
    // the status is what counts
  }
}

function reasonOf(e: unknown): string {
  for (let cur = e, depth = 0; typeof cur === 'object' && cur !== null && depth < 4; depth++) {
    const code = (cur as { code?: unknown }).code
    if (typeof code === 'string') return code
    cur = (cur as { cause?: unknown }).cause
  }
  return 'the connection failed'
}
