/**
 * The bus a server node uses, from its configuration: NATS when
 * PALISADE_BUS_URL is set, else the in-process bus (one node).
 */
import type { ServerConfig } from '../config.js'
import type { Bus } from './bus.js'
import { LocalBus } from './local-bus.js'
import { NatsBus, type BusLogger } from './nats-bus.js'

/**
 * Returns at once: a NATS bus connects (and reconnects) in the background,
 * and reports itself down through `health()` until it is connected.
 * `deployment` (db/deployment-id.ts) scopes a NATS bus's subjects.
 *
 * @example
 * const bus = openBus(config, await deploymentId(db), logger)
 * // … buildApp({ config, db, bus }); on shutdown: await bus.close()
 */
export function openBus(config: Pick<ServerConfig, 'busUrl' | 'nodeId'>, deployment: string, logger?: BusLogger): Bus {
  if (config.busUrl === null) return new LocalBus({ onError: (err) => logger?.warn({ err: String(err) }, 'bus handler failed') })
  return new NatsBus({ url: config.busUrl, name: config.nodeId, deployment, ...(logger === undefined ? {} : { logger }) })
}
