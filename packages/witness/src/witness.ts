/**
 * Starting and stopping a witness: the data directory, its key, the logs it
 * witnesses, the HTTP server, the webhook.
 *
 * Guarantees: `startWitness` resolves only once the witness is listening,
 * with its state loaded and checked (a corrupt state or logs file stops the
 * start instead of being treated as "never cosigned"), and holding the data
 * directory's lock. `close` stops accepting requests, lets those in flight
 * finish (so no checkpoint is half-persisted by us), then releases the lock.
 *
 * Trusts: its options (from the operator).
 */
import type { AddressInfo } from 'node:net'
import { Cosigner } from './cosigner.js'
import { WitnessError } from './errors.js'
import { createApp, registerRoutes, type LoggerOption } from './http/app.js'
import type { AddCheckpointLimitOptions } from './http/add-checkpoint-limit.js'
import { parseWebhookUrl, Webhook, type WebhookOptions } from './notify/webhook.js'
import { CheckpointStore } from './store/checkpoint-store.js'
import { acquireLock, ensureDataDir } from './store/data-dir.js'
import { LogRegistry } from './store/log-registry.js'
import { RefusalLog } from './store/refusal-log.js'
import { RootStore } from './store/root-store.js'
import { RateLimiter, type RateLimitOptions } from './http/rate-limiter.js'
import { ReportIntake } from './report/report-intake.js'
import { checkRate, ReportQuota } from './report/report-quota.js'
import { MIN_REPORTS_BUDGET_BYTES, ReportLog, REPORTS_BUDGET_BYTES } from './store/report-log.js'
import { loadOrCreateWitnessKey } from './store/witness-key.js'

/** Options of startWitness. */
export interface WitnessOptions {
  /** `host:port` (`[v6]:port` for IPv6); port 0 picks a free one. */
  readonly listen: string
  /** The data directory; created (0700) if needed. */
  readonly dataDir: string
  /** The witness key name; needed only to create the key, else must match it. Default: the host name. */
  readonly name?: string
  /** Where to POST events (JSON), or detailed webhook settings. */
  readonly webhook?: string | WebhookOptions
  /** A pino-compatible logger, `{ level }` for pino on stderr (default info), or false. */
  readonly logger?: LoggerOption
  /** POST /add-checkpoint per client address (defaults: http/add-checkpoint-limit.ts). */
  readonly addCheckpointRateLimit?: AddCheckpointLimitOptions
  /** Device reports per client address (default: bursts of 20, 2 a second on average). */
  readonly reportRateLimit?: RateLimitOptions
  /** Device reports per (log, device id) (default: bursts of 20, 60 an hour, i.e. `perSecond` 1/60). */
  readonly reportDeviceRateLimit?: RateLimitOptions
  /** Distinct device ids one client address may send reports for within an hour (default 20). */
  readonly reportDevicesPerAddress?: number
  /**
   * Bytes of reports kept per log (default 256 MiB, at least 128 KiB).
   * Beyond, new reports are refused (507) and the webhook hears
   * `reports.store-full`: stored reports are never deleted to make room.
   */
  readonly reportStoreBytes?: number
}

/** A running witness. */
export interface RunningWitness {
  /** `http://host:port`, the submission prefix. */
  readonly url: string
  readonly name: string
  /** The cosignature/v1 verifier key string (c2sp.org/tlog-cosignature). */
  readonly verifierKey: string
  /** Stops the witness; resolves when it has stopped. Idempotent. */
  close(): Promise<void>
}

/**
 * Starts a witness.
 *
 * @example
 * const w = await startWitness({ listen: '127.0.0.1:8081', dataDir: './witness-data', name: 'witness.example.com' })
 * console.log(w.verifierKey, w.url)
 * process.once('SIGTERM', () => void w.close())
 */
export async function startWitness(options: WitnessOptions): Promise<RunningWitness> {
  const { host, port } = parseListen(options.listen)
  const webhookOptions = typeof options.webhook === 'string' ? { url: options.webhook } : options.webhook
  if (webhookOptions !== undefined) parseWebhookUrl(webhookOptions.url)
  const reportRate = options.reportRateLimit ?? { burst: 20, perSecond: 2 }
  checkRate('reportRateLimit', reportRate)
  const addLimit = options.addCheckpointRateLimit ?? {}
  if (addLimit.all !== undefined) checkRate('addCheckpointRateLimit.all', addLimit.all)
  if (addLimit.unsigned !== undefined) checkRate('addCheckpointRateLimit.unsigned', addLimit.unsigned)
  // Checks its settings now, before the data directory is touched.
  const quota = new ReportQuota({
    ...(options.reportDeviceRateLimit === undefined ? {} : { perDevice: options.reportDeviceRateLimit }),
    ...(options.reportDevicesPerAddress === undefined ? {} : { devicesPerAddress: options.reportDevicesPerAddress }),
  })
  const storeBytes = options.reportStoreBytes ?? REPORTS_BUDGET_BYTES
  if (!Number.isSafeInteger(storeBytes) || storeBytes < MIN_REPORTS_BUDGET_BYTES) {
    throw new WitnessError('WIT_CONFIG', `reportStoreBytes: must be a whole number of bytes ≥ ${MIN_REPORTS_BUDGET_BYTES}, not ${String(storeBytes)}`)
  }

  const paths = await ensureDataDir(options.dataDir)
  const release = await acquireLock(paths)
  const app = createApp(options.logger)
  let webhook: Webhook | undefined
  let refusals: RefusalLog | undefined
  try {
    const key = await loadOrCreateWitnessKey(paths, options.name)
    const logs = new LogRegistry(paths, (err) => app.log.error({ err }, 'logs.json is broken; keeping the last good list'))
    await logs.load()
    refusals = new RefusalLog(paths.refusals, (err) => app.log.error({ err }, 'cannot append to refusals.jsonl'))
    webhook = webhookOptions === undefined ? undefined : new Webhook(webhookOptions, app.log)
    const store = new CheckpointStore(paths)
    const cosigner = new Cosigner({
      key,
      logs,
      store,
      roots: new RootStore(paths),
      refusals,
      webhook,
      now: () => Math.floor(Date.now() / 1000),
    })
    const heads = await cosigner.heads() // reads and checks every state file now
    const intake = new ReportIntake({
      witness: key.name,
      logs,
      reports: new ReportLog(paths, storeBytes),
      checkpoints: store,
      limiter: new RateLimiter(reportRate),
      quota,
      webhook,
      now: () => Date.now(),
    })
    registerRoutes(app, cosigner, intake, addLimit)
    try {
      await app.listen({ host, port })
    } catch (e) {
      throw new WitnessError('WIT_LISTEN', `cannot listen on ${options.listen}: ${(e as Error).message}`, { cause: e })
    }
    const addr = app.server.address() as AddressInfo
    const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`
    app.log.info({ name: key.name, verifierKey: key.verifierKey, url, logs: heads.length, dataDir: paths.dir }, 'witness listening')

    let closing: Promise<void> | undefined
    const close = (): Promise<void> =>
      (closing ??= (async () => {
        try {
          await app.close()
        } finally {
          webhook?.close()
          await refusals?.flush()
          await release()
        }
      })())
    return Object.freeze({ url, name: key.name, verifierKey: key.verifierKey, close })
  } catch (e) {
    webhook?.close()
    await app.close().catch(() => undefined)
    await refusals?.flush()
    await release()
    throw e
  }
}

/**
 * Splits `host:port`; IPv6 hosts in brackets. WIT_CONFIG when invalid.
 *
 * @example
 * parseListen('[::1]:8081') // { host: '::1', port: 8081 }
 */
export function parseListen(listen: string): { readonly host: string; readonly port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(listen)
  const port = m === null ? NaN : Number(m[3])
  if (m === null || port > 65535) {
    throw new WitnessError('WIT_CONFIG', `invalid listen address ${JSON.stringify(listen.slice(0, 80))}: use host:port, e.g. 127.0.0.1:8081`)
  }
  return { host: (m[1] ?? m[2])!, port }
}
