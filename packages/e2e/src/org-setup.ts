/**
 * The README's setup path through the real CLI: a witness, three admins
 * with their own keystores, root v1 drafted by one admin, signed by two,
 * the log registered with the witness, and the org created on the server.
 * Shared by the end-to-end test and the benchmarks.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ok, Proc } from './proc.js'

export const PASSPHRASE = { PALISADE_PASSPHRASE: 'e2e passphrase, long enough' }
export const ADMINS = ['alice', 'bob', 'carol'] as const
export type Admin = (typeof ADMINS)[number]

export interface Org {
  readonly fingerprint: string
  readonly apiKey: string
  readonly witness: Proc
  /** Environment for running the CLI as one admin (their own PALISADE_HOME). */
  home(who: Admin): Record<string, string>
}

/** Runs the whole setup against a server at `url` that printed `setupCode`. */
export async function setupOrg(dir: string, url: string, setupCode: string): Promise<Org> {
  const home = (who: Admin): Record<string, string> => ({ ...PASSPHRASE, PALISADE_HOME: join(dir, `home-${who}`) })
  const witnessData = join(dir, 'witness')
  const witness = new Proc(['witness', 'serve', '--listen', '127.0.0.1:0', '--data', witnessData, '--name', 'witness.e2e'], {}, 'witness')
  const wkey = (await witness.waitFor(/verifier key:\s+(\S+)/))[1]!
  const wurl = (await witness.waitFor(/url:\s+(http:\/\/\S+)/))[1]!

  const admins: string[] = []
  for (const who of ADMINS) {
    const k = JSON.parse(await ok(['--json', 'key', 'generate', '--name', who], home(who)))
    admins.push('--admin', `${who}=${k.publicKey}`)
  }
  const rootFile = join(dir, 'root.json')
  const draft = await ok(
    ['org', 'init', '--server', url, '--setup-code', setupCode, '--org', 'acme', ...admins,
      '--threshold', 'command=2,policy=2,root=2,device=1', '--witness', `${wkey}@${wurl}`, '--out', rootFile],
    home('alice'),
  )
  const logKey = draft.match(/log key:\s+(\S+)/)![1]!
  const fingerprint = draft.match(/fingerprint:\s+([0-9a-f]{64})/)![1]!
  await ok(['root', 'sign', rootFile, '--key', 'alice', '--yes'], home('alice'))
  await ok(['root', 'sign', rootFile, '--key', 'bob', '--yes'], home('bob'))
  await ok(['witness', 'add-log', '--data', witnessData, '--key', logKey, '--root-fingerprint', fingerprint])
  const init = await ok(['org', 'init', '--server', url, '--setup-code', setupCode, '--root', rootFile], home('alice'))
  if (!init.includes(fingerprint)) throw new Error(`org init did not confirm fingerprint ${fingerprint}:\n${init}`)
  const apiKey = JSON.parse(readFileSync(join(dir, 'home-alice', 'config.json'), 'utf8')).apiToken as string
  for (const who of ['bob', 'carol'] as const) {
    await ok(['login', '--server', url, '--org', 'acme', '--api-key', apiKey, '--fingerprint', fingerprint], home(who))
  }
  return { fingerprint, apiKey, witness, home }
}
