/**
 * A real enrolled agent: its state directory written exactly as
 * packages/agent/src/enroll.ts writes it (device.json, device.key,
 * trust-state.json, spool/, running/, all private), and the real
 * `palisade-agent run` process (packages/agent/dist/bin.js) started on it.
 *
 * The enrollment is written here rather than fetched from a server because
 * the server is the adversary: the agent must hold nothing but what an
 * honest enrollment gives it (its own key and the root chain verified from
 * the pinned fingerprint).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { encodeTrustState, initialTrustState, nodePublicKey, toBase64 } from '@palisade/protocol'
import { REPO } from '../proc.js'
import { nowSeconds, type AttackOrg } from './attack-org.js'

export const AGENT_BIN = join(REPO, 'packages/agent/dist/bin.js')

/** An enrolled device: where its state lives and its key pair. */
export interface EnrolledDevice {
  readonly dir: string
  readonly id: string
  readonly seed: Uint8Array
  readonly publicKey: Uint8Array
}

/**
 * Writes the state of a device freshly enrolled in `org` with `server`.
 * device.json goes last: its presence is what "enrolled" means.
 */
export async function writeEnrollment(dir: string, id: string, org: AttackOrg, server: string): Promise<EnrolledDevice> {
  const seed = new Uint8Array(randomBytes(32))
  const publicKey = nodePublicKey(seed)
  const trust = initialTrustState(org.fingerprint, org.roots, nowSeconds())
  for (const d of [dir, join(dir, 'spool'), join(dir, 'running')]) {
    await mkdir(d, { recursive: true, mode: 0o700 })
    await chmod(d, 0o700)
  }
  await writeFile(join(dir, 'device.key'), seed, { mode: 0o600 })
  await writeFile(join(dir, 'trust-state.json'), `${JSON.stringify(encodeTrustState(trust))}\n`, { mode: 0o600 })
  const record = { deviceId: id, org: org.org, server, publicKey: toBase64(publicKey), fingerprint: org.fingerprint }
  await writeFile(join(dir, 'device.json'), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 })
  return Object.freeze({ dir, id, seed, publicKey })
}

/** `node packages/agent/dist/bin.js run --state-dir DIR --policy FILE`, with its output kept. */
export class AgentProcess {
  readonly child: ChildProcess
  output = ''
  readonly exited: Promise<number | null>

  constructor(stateDir: string, policyPath: string) {
    this.child = spawn(process.execPath, [AGENT_BIN, 'run', '--state-dir', stateDir, '--policy', policyPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const keep = (d: Buffer): void => {
      // bounded: a hostile server must not make the test itself run out of memory
      this.output = (this.output + d.toString()).slice(-256 * 1024)
    }
    this.child.stdout!.on('data', keep)
    this.child.stderr!.on('data', keep)
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)))
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  /** SIGTERM (a clean stop), SIGKILL after `graceMs`; resolves with the exit code. */
  async stop(graceMs = 5000): Promise<number | null> {
    if (!this.alive) return this.child.exitCode
    this.child.kill('SIGTERM')
    const t = setTimeout(() => this.child.kill('SIGKILL'), graceMs)
    const code = await this.exited
    clearTimeout(t)
    return code
  }
}
