/**
 * Mounted filesystems that hold data, from /proc/mounts and statfs(2).
 *
 * Guarantees: never throws; returns [] with a note when /proc/mounts is
 * unreadable, and keeps a mount with null sizes (and a note) when statfs
 * fails or hangs. Kernel pseudo-filesystems (proc, sysfs, cgroup, tmpfs, …)
 * are left out: they hold no data and would swamp the list. A hung network
 * mount is given up on after `statfsTimeoutMs`, so inventory still completes
 * (the stuck statfs keeps one libuv worker thread until the kernel returns).
 */
import { readFile, statfs } from 'node:fs/promises'
import { addNote, reasonOf, type SourceOptions } from './source.js'

/** One mounted filesystem. Sizes in bytes; null when statfs could not answer. */
export interface DiskInfo {
  readonly mountPoint: string
  readonly device: string
  readonly fsType: string
  readonly readOnly: boolean
  readonly sizeBytes: number | null
  /** Free blocks, including those reserved for root. */
  readonly freeBytes: number | null
  /** Free blocks an unprivileged user may use (what df shows as "Avail"). */
  readonly availableBytes: number | null
}

/** One line of /proc/mounts, unescaped. */
export interface MountEntry {
  readonly device: string
  readonly mountPoint: string
  readonly fsType: string
  readonly options: readonly string[]
}

/** Filesystem types that hold no user data. */
export const PSEUDO_FS_TYPES: ReadonlySet<string> = new Set([
  'autofs', 'binfmt_misc', 'bpf', 'cgroup', 'cgroup2', 'configfs', 'debugfs', 'devpts', 'devtmpfs',
  'efivarfs', 'fusectl', 'fuse.gvfsd-fuse', 'fuse.lxcfs', 'fuse.portal', 'hugetlbfs', 'mqueue', 'nsfs',
  'proc', 'pstore', 'ramfs', 'rpc_pipefs', 'securityfs', 'selinuxfs', 'squashfs', 'sysfs', 'tmpfs',
  'tracefs',
])

/**
 * Parses /proc/mounts (fstab(5) format; spaces in paths are written as
 * octal escapes such as `\040`).
 *
 * @example
 * parseMounts('/dev/vda / ext4 rw,relatime 0 0\n')[0]?.mountPoint // '/'
 */
export function parseMounts(text: string): MountEntry[] {
  const out: MountEntry[] = []
  for (const line of text.split('\n')) {
    const f = line.split(' ')
    if (f.length < 4) continue
    const [device, mountPoint, fsType, options] = f.map(unescapeOctal) as [string, string, string, string]
    if (!mountPoint.startsWith('/')) continue
    out.push({ device, mountPoint, fsType, options: options.split(',') })
  }
  return out
}

function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)))
}

/**
 * Lists data filesystems with their sizes, sorted by mount point. When a
 * path is mounted over, only the top (last) mount is visible, so only it is kept.
 *
 * @example
 * (await collectDisks()).find((d) => d.mountPoint === '/')?.fsType // 'ext4'
 */
export async function collectDisks(
  opts: SourceOptions & { readonly mountsPath?: string; readonly statfsTimeoutMs?: number } = {},
): Promise<DiskInfo[]> {
  let text: string
  try {
    text = await readFile(opts.mountsPath ?? '/proc/mounts', 'utf8')
  } catch (e) {
    addNote(opts, 'disks', `mounts ${reasonOf(e)}`)
    return []
  }
  const byPoint = new Map<string, MountEntry>()
  for (const m of parseMounts(text)) if (!PSEUDO_FS_TYPES.has(m.fsType)) byPoint.set(m.mountPoint, m)
  const mounts = [...byPoint.values()].sort((a, b) => (a.mountPoint < b.mountPoint ? -1 : 1))
  return Promise.all(mounts.map((m) => describe(m, opts.statfsTimeoutMs ?? 2000, opts)))
}

async function describe(m: MountEntry, timeoutMs: number, opts: SourceOptions): Promise<DiskInfo> {
  const base = { mountPoint: m.mountPoint, device: m.device, fsType: m.fsType, readOnly: m.options.includes('ro') }
  let timer: NodeJS.Timeout | undefined
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`statfs timed out after ${timeoutMs} ms`)), timeoutMs)
    })
    const s = await Promise.race([statfs(m.mountPoint), timeout])
    return { ...base, sizeBytes: s.blocks * s.bsize, freeBytes: s.bfree * s.bsize, availableBytes: s.bavail * s.bsize }
  } catch (e) {
    addNote(opts, 'disks', `statfs ${m.mountPoint} ${reasonOf(e)}`)
    return { ...base, sizeBytes: null, freeBytes: null, availableBytes: null }
  } finally {
    clearTimeout(timer)
  }
}
