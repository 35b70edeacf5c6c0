/**
 * A fresh server (SQLite, its setup code printed) and a witness, as real
 * processes on 127.0.0.1: what every console browser test starts from.
 */
import { join } from 'node:path'
import { freePort } from '../free-port.js'
import { Proc } from '../proc.js'

export interface ServerAndWitness {
  readonly url: string
  readonly dataDir: string
  readonly server: Proc
  readonly setupCode: string
  readonly witness: Proc
  readonly witnessData: string
  /** The witness's cosignature/v1 verifier key and URL, as `palisade witness serve` prints them. */
  readonly witnessKey: string
  readonly witnessUrl: string
  stop(): Promise<void>
}

/**
 * Starts both under `dir`; stops them again if either fails to come up.
 *
 * @example
 * const p = await startServerAndWitness(dir, 'witness.console')
 */
export async function startServerAndWitness(dir: string, witnessName: string): Promise<ServerAndWitness> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const dataDir = join(dir, 'data')
  const server = new Proc(['server', '--listen', `127.0.0.1:${port}`, '--data', dataDir], {}, 'server')
  const witnessData = join(dir, 'witness')
  const witness = new Proc(['witness', 'serve', '--listen', '127.0.0.1:0', '--data', witnessData, '--name', witnessName], {}, 'witness')
  const stop = async (): Promise<void> => {
    await Promise.all([server.stop(), witness.stop()])
  }
  try {
    const setupCode = (await server.waitFor(/setup code[^:]*: ([A-Z0-9-]+)/))[1]!
    await server.waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/)
    const witnessKey = (await witness.waitFor(/verifier key:\s+(\S+)/))[1]!
    const witnessUrl = (await witness.waitFor(/url:\s+(http:\/\/\S+)/))[1]!
    return { url, dataDir, server, setupCode, witness, witnessData, witnessKey, witnessUrl, stop }
  } catch (e) {
    await stop()
    throw e
  }
}
