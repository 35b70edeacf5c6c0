/**
 * A server, a witness and two admins' CLI keystores, with root v1 drafted
 * and signed by both on their "machines" and the log registered with the
 * witness — everything the CLI does before the org exists. The upload
 * itself, with the owner's console account, is left to the browser's
 * first-run setup page.
 */
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { ok, type Proc } from '../proc.js'
import { startServerAndWitness } from './console-processes.js'

export const PASSPHRASE = 'e2e passphrase, long enough'
export type ConsoleAdmin = 'alice' | 'bob'

export interface ConsoleOrg {
  readonly url: string
  readonly dataDir: string
  readonly server: Proc
  readonly witness: Proc
  readonly setupCode: string
  readonly rootDraft: string
  readonly fingerprint: string
  /** Path of the admin's CLI key file (what the browser imports). */
  keyFile(who: ConsoleAdmin): string
  home(who: ConsoleAdmin): Record<string, string>
  stop(): Promise<void>
}

function findFile(dir: string, name: string): string {
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry)
    if (entry === name) return p
    if (statSync(p).isDirectory()) {
      try {
        return findFile(p, name)
      } catch {
        // not below this one
      }
    }
  }
  throw new Error(`no ${name} under ${dir}`)
}

/** Starts the processes and prepares root v1 in `dir`. */
export async function prepareConsoleOrg(dir: string): Promise<ConsoleOrg> {
  const p = await startServerAndWitness(dir, 'witness.console')
  try {
    const home = (who: ConsoleAdmin): Record<string, string> => ({ PALISADE_PASSPHRASE: PASSPHRASE, PALISADE_HOME: join(dir, `home-${who}`) })
    const admins: string[] = []
    const made = await Promise.all(
      (['alice', 'bob'] as const).map(async (who) => [who, JSON.parse(await ok(['--json', 'key', 'generate', '--name', who], home(who))).publicKey as string] as const),
    )
    for (const [who, pub] of made) admins.push('--admin', `${who}=${pub}`)
    const rootDraft = join(dir, 'root.json')
    const draft = await ok(
      ['org', 'init', '--server', p.url, '--setup-code', p.setupCode, '--org', 'acme', ...admins,
        '--threshold', 'command=2,policy=2,root=2,device=1', '--witness', `${p.witnessKey}@${p.witnessUrl}`, '--out', rootDraft],
      home('alice'),
    )
    const logKey = draft.match(/log key:\s+(\S+)/)![1]!
    const fingerprint = draft.match(/fingerprint:\s+([0-9a-f]{64})/)![1]!
    await ok(['root', 'sign', rootDraft, '--key', 'alice', '--yes'], home('alice'))
    await ok(['root', 'sign', rootDraft, '--key', 'bob', '--yes'], home('bob'))
    await ok(['witness', 'add-log', '--data', p.witnessData, '--key', logKey, '--root-fingerprint', fingerprint])
    return {
      url: p.url,
      dataDir: p.dataDir,
      server: p.server,
      witness: p.witness,
      setupCode: p.setupCode,
      rootDraft,
      fingerprint,
      keyFile: (who) => findFile(join(dir, `home-${who}`), `${who}.key.json`),
      home,
      stop: p.stop,
    }
  } catch (e) {
    await p.stop()
    throw e
  }
}
