/**
 * Where an enrolled agent keeps its state: one private directory (0700),
 * owned by the account the agent runs as, holding
 *
 *     device.json          { deviceId, org, server, publicKey, fingerprint }
 *     device.key           the 32-byte Ed25519 seed of the device key (0600)
 *     trust-state.json     encodeTrustState(): root chain, last checkpoint, executed ids, last log index run
 *     spool/               signed reports not yet acknowledged by the server, one file each
 *     running/             one marker per command between "accepted" and "result spooled"
 *     rejections.jsonl     every rejection this device signed, kept locally (G6)
 *     alerts.jsonl         every alert this device raised (AGENT_CHECKPOINT_STALE, …), kept locally
 *     monitor-outbox/      signed rejections and alerts not yet taken by each monitor the root names
 *
 * device.json is written last at enrollment: its presence is what
 * "enrolled" means. Nothing in this directory is read from anywhere else.
 */
import { homedir } from 'node:os'
import { isAbsolute, join, resolve } from 'node:path'
import { AgentError } from '../errors.js'

/** The paths of one state directory. */
export interface StateLayout {
  readonly dir: string
  readonly deviceFile: string
  readonly keyFile: string
  readonly trustStateFile: string
  readonly spoolDir: string
  readonly runningDir: string
  readonly rejectionLog: string
  readonly alertLog: string
  readonly monitorOutboxDir: string
}

/** The state directory of a root agent (the systemd service). */
export const SYSTEM_STATE_DIR = '/var/lib/palisade-agent'

/**
 * The default state directory: /var/lib/palisade-agent for root, else
 * ~/.palisade-agent (an agent that can only run scripts as its own user).
 *
 * @example
 * defaultStateDir() // '/var/lib/palisade-agent' when run as root
 */
export function defaultStateDir(uid: number = process.getuid?.() ?? -1, home: string = homedir()): string {
  return uid === 0 ? SYSTEM_STATE_DIR : join(home, '.palisade-agent')
}

/**
 * The layout under `dir` (made absolute against the working directory).
 * Refuses an empty path or one with a NUL byte.
 */
export function stateLayout(dir: string): StateLayout {
  if (typeof dir !== 'string' || dir === '' || dir.includes('\0')) {
    throw new AgentError('AGENT_ARG_INVALID', 'the state directory must be a non-empty path')
  }
  const abs = isAbsolute(dir) ? resolve(dir) : resolve(process.cwd(), dir)
  return Object.freeze({
    dir: abs,
    deviceFile: join(abs, 'device.json'),
    keyFile: join(abs, 'device.key'),
    trustStateFile: join(abs, 'trust-state.json'),
    spoolDir: join(abs, 'spool'),
    runningDir: join(abs, 'running'),
    rejectionLog: join(abs, 'rejections.jsonl'),
    alertLog: join(abs, 'alerts.jsonl'),
    monitorOutboxDir: join(abs, 'monitor-outbox'),
  })
}
