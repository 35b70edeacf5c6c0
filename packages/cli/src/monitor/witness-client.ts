/**
 * What the monitor asks the org's witnesses (docs/WIRE.md, "Witness"):
 * their newest cosigned checkpoint of the org log, and the device reports
 * they received. Witnesses are public services: no credential is sent.
 *
 * Guarantees: every request has a timeout and an answer-size cap, never
 * follows a redirect, and any failure is a WitnessUnavailable with a
 * reason (the round reports it and goes on). Nothing here trusts an
 * answer: checkpoints are verified by the round, reports by report-event.ts.
 */
import { integer, object, string, array, ShapeError } from '../http/shape.js'

const TIMEOUT_MS = 15_000
const MAX_BYTES = 16 * 1024 * 1024

/** A witness that could not be asked, or answered nonsense. */
export class WitnessUnavailable extends Error {}

/** One report as a witness serves it. */
export interface WitnessReport {
  readonly seq: number
  readonly receivedAt: string
  readonly deviceId: string
  readonly envelope: string
}

/**
 * The witness's newest checkpoint of `origin` (note text), or undefined
 * when it has cosigned none yet.
 *
 * @example
 * const note = await witnessCheckpoint('http://127.0.0.1:8081', 'palisade/acme')
 */
export async function witnessCheckpoint(url: string, origin: string): Promise<string | undefined> {
  const res = await get(url, `/palisade/v1/checkpoint?origin=${encodeURIComponent(origin)}`)
  if (res.status === 404 && res.body.startsWith('WIT_NO_CHECKPOINT')) return undefined
  if (res.status !== 200) throw new WitnessUnavailable(`${url} answered ${res.status}: ${res.body.slice(0, 200).trim()}`)
  return res.body
}

/**
 * One page of the reports of `origin` after seq `after`.
 *
 * @example
 * const { reports, next } = await witnessReports(url, 'palisade/acme', 0)
 */
export async function witnessReports(url: string, origin: string, after: number, limit = 500): Promise<{ reports: WitnessReport[]; next: number }> {
  const res = await get(url, `/palisade/v1/reports?origin=${encodeURIComponent(origin)}&after=${after}&limit=${limit}`)
  if (res.status !== 200) throw new WitnessUnavailable(`${url} answered ${res.status}: ${res.body.slice(0, 200).trim()}`)
  try {
    const o = object(JSON.parse(res.body) as unknown, 'answer')
    const reports = array(o['reports'], 'reports', (x, w) => {
      const r = object(x, w)
      return {
        seq: integer(r['seq'], `${w}.seq`, 1),
        receivedAt: string(r['receivedAt'], `${w}.receivedAt`, undefined, 64),
        deviceId: string(r['deviceId'], `${w}.deviceId`, undefined, 64),
        envelope: string(r['envelope'], `${w}.envelope`, undefined, 64 * 1024),
      }
    }, limit)
    // seqs must move forward, or a witness could make the monitor loop
    let last = after
    for (const r of reports) {
      if (r.seq <= last) throw new ShapeError(`report seq ${r.seq} does not follow ${last}`)
      last = r.seq
    }
    return { reports, next: last }
  } catch (e) {
    if (e instanceof ShapeError || e instanceof SyntaxError) throw new WitnessUnavailable(`${url} sent an invalid report page: ${e.message}`)
    throw e
  }
}

async function get(base: string, path: string): Promise<{ status: number; body: string }> {
  let res: Response
  try {
    res = await fetch(base.replace(/\/+$/, '') + path, { redirect: 'error', signal: AbortSignal.timeout(TIMEOUT_MS) })
  } catch (e) {
    throw new WitnessUnavailable(`cannot reach the witness at ${base}: ${(e as Error).message}`)
  }
  const declared = Number(res.headers.get('content-length') ?? NaN)
  if (declared > MAX_BYTES) {
    await res.body?.cancel().catch(() => undefined)
    throw new WitnessUnavailable(`${base} sent more than ${MAX_BYTES} bytes`)
  }
  const chunks: Uint8Array[] = []
  let n = 0
  if (res.body !== null) {
    const reader = res.body.getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      n += value.length
      if (n > MAX_BYTES) {
        await reader.cancel().catch(() => undefined)
        throw new WitnessUnavailable(`${base} sent more than ${MAX_BYTES} bytes`)
      }
      chunks.push(value)
    }
  }
  return { status: res.status, body: Buffer.concat(chunks).toString('utf8') }
}
