/**
 * Installed packages, from dpkg-query or rpm, whichever the machine has.
 *
 * Guarantees: never throws; the package manager runs from a fixed absolute
 * path with a minimal environment (LC_ALL=C), a timeout and an output cap,
 * and is killed if it exceeds either (null with a note). Only installed
 * packages are listed: dpkg also knows packages that were removed but left
 * their configuration behind ("rc"), which are filtered out by status.
 */
import { access, constants } from 'node:fs/promises'
import { execFile } from 'node:child_process'
import { addNote, reasonOf, type SourceOptions } from './source.js'

/** One installed package. */
export interface InstalledPackage {
  readonly name: string
  readonly version: string
  readonly arch: string
}

/** Which manager answered, and what it listed (sorted); null packages when none could. */
export interface PackageInventory {
  readonly manager: 'dpkg' | 'rpm' | null
  readonly packages: readonly InstalledPackage[] | null
}

interface Manager {
  readonly name: 'dpkg' | 'rpm'
  readonly paths: readonly string[]
  readonly args: readonly string[]
  /** Turns one tab-separated output line into a package, or null to skip it. */
  readonly line: (f: string[]) => InstalledPackage | null
}

const MANAGERS: readonly Manager[] = [
  {
    name: 'dpkg',
    paths: ['/usr/bin/dpkg-query', '/bin/dpkg-query'],
    args: ['-W', '-f=${db:Status-Abbrev}\t${Package}\t${Version}\t${Architecture}\n'],
    // Status-Abbrev is desired/current/error, e.g. "ii " or "rc "; current state 'i' = installed.
    line: ([st, name, version, arch]) => (st?.[1] === 'i' && name ? { name, version: version ?? '', arch: arch ?? '' } : null),
  },
  {
    name: 'rpm',
    paths: ['/usr/bin/rpm', '/bin/rpm'],
    args: ['-qa', '--qf', '%{NAME}\t%|EPOCH?{%{EPOCH}:}|%{VERSION}-%{RELEASE}\t%{ARCH}\n'],
    line: ([name, version, arch]) => (name ? { name, version: version ?? '', arch: arch ?? '' } : null),
  },
]

/**
 * Lists installed packages.
 *
 * @example
 * (await collectPackages()).packages?.find((p) => p.name === 'bash')?.version // '5.2.15-2+b7'
 */
export async function collectPackages(
  opts: SourceOptions & { readonly timeoutMs?: number; readonly maxOutputBytes?: number } = {},
): Promise<PackageInventory> {
  for (const m of MANAGERS) {
    const path = await firstExecutable(m.paths)
    if (path === null) continue
    try {
      const stdout = await run(path, m.args, opts.timeoutMs ?? 60_000, opts.maxOutputBytes ?? 32 * 1024 * 1024)
      const packages = stdout
        .split('\n')
        .map((l) => m.line(l.split('\t')))
        .filter((p): p is InstalledPackage => p !== null)
        .sort((a, b) => cmp(a.name, b.name) || cmp(a.arch, b.arch) || cmp(a.version, b.version))
      return { manager: m.name, packages }
    } catch (e) {
      addNote(opts, 'packages', `${m.name} ${reasonOf(e)}`)
      return { manager: m.name, packages: null }
    }
  }
  addNote(opts, 'packages', 'neither dpkg-query nor rpm found')
  return { manager: null, packages: null }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

async function firstExecutable(paths: readonly string[]): Promise<string | null> {
  for (const p of paths) {
    try {
      await access(p, constants.X_OK)
      return p
    } catch {
      // next
    }
  }
  return null
}

function run(file: string, args: readonly string[], timeoutMs: number, maxBuffer: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { encoding: 'utf8', timeout: timeoutMs, maxBuffer, killSignal: 'SIGKILL', env: { LC_ALL: 'C', PATH: '/usr/bin:/bin' } },
      (err, stdout) => (err ? reject(err) : resolve(stdout)),
    )
  })
}
