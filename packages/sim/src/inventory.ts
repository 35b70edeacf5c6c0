/**
 * The inventory a simulated agent reports: the real agent's shape
 * (agent/src/inventory/collect.ts), small (about 60 packages) and varying
 * per agent, deterministically from its index, so that inventory queries
 * have something to find: distributions, kernels and package versions
 * differ from one agent to the next, and a known share of agents run an
 * older openssl. `notes` says it is simulated.
 */
import { createHash } from 'node:crypto'

const DISTROS = [
  { id: 'debian', name: 'Debian GNU/Linux', versionId: '12', codename: 'bookworm', kernel: '6.1.0-' },
  { id: 'ubuntu', name: 'Ubuntu', versionId: '22.04', codename: 'jammy', kernel: '5.15.0-' },
  { id: 'ubuntu', name: 'Ubuntu', versionId: '24.04', codename: 'noble', kernel: '6.8.0-' },
] as const

/** Package name → the versions agents spread over (index-chosen). openssl's first is the old one. */
const PACKAGES: readonly (readonly [string, readonly string[]])[] = [
  ['openssl', ['3.0.2-0ubuntu1.10', '3.0.11-1~deb12u2', '3.0.13-0ubuntu3.4', '3.0.15-1~deb12u1']],
  ['libssl3', ['3.0.2-0ubuntu1.10', '3.0.11-1~deb12u2', '3.0.13-0ubuntu3.4', '3.0.15-1~deb12u1']],
  ['openssh-server', ['1:8.9p1-3ubuntu0.6', '1:9.2p1-2+deb12u3', '1:9.6p1-3ubuntu13.5']],
  ['openssh-client', ['1:8.9p1-3ubuntu0.6', '1:9.2p1-2+deb12u3', '1:9.6p1-3ubuntu13.5']],
  ['sudo', ['1.9.9-1ubuntu2.4', '1.9.13p3-1+deb12u1', '1.9.15p5-3ubuntu5']],
  ['curl', ['7.81.0-1ubuntu1.16', '7.88.1-10+deb12u7', '8.5.0-2ubuntu10.4']],
  ['libcurl4', ['7.81.0-1ubuntu1.16', '7.88.1-10+deb12u7', '8.5.0-2ubuntu10.4']],
  ['bash', ['5.1-6ubuntu1.1', '5.2.15-2+b7', '5.2.21-2ubuntu4']],
  ['coreutils', ['8.32-4.1ubuntu1.2', '9.1-1', '9.4-3ubuntu6']],
  ['systemd', ['249.11-0ubuntu3.12', '252.30-1~deb12u2', '255.4-1ubuntu8.4']],
  ['libc6', ['2.35-0ubuntu3.8', '2.36-9+deb12u8', '2.39-0ubuntu8.3']],
  ['zlib1g', ['1:1.2.11.dfsg-2ubuntu9.2', '1:1.2.13.dfsg-1', '1:1.3.dfsg-3.1ubuntu2.1']],
  ['xz-utils', ['5.2.5-2ubuntu1', '5.4.1-0.2', '5.6.1+really5.4.5-1build0.1']],
  ['tzdata', ['2024a-0ubuntu0.22.04', '2024a-0+deb12u1', '2024a-3ubuntu1.1']],
  ['ca-certificates', ['20230311ubuntu0.22.04.1', '20230311', '20240203']],
  ['python3', ['3.10.6-1~22.04.1', '3.11.2-1+b1', '3.12.3-0ubuntu2']],
  ['perl', ['5.34.0-3ubuntu1.3', '5.36.0-7+deb12u1', '5.38.2-3.2build2']],
  ['git', ['1:2.34.1-1ubuntu1.11', '1:2.39.5-0+deb12u1', '1:2.43.0-1ubuntu7.1']],
  ['nginx', ['1.18.0-6ubuntu14.4', '1.22.1-9', '1.24.0-2ubuntu7.1']],
  ['docker-ce', ['5:24.0.7-1~ubuntu.22.04~jammy', '5:26.1.4-1~debian.12~bookworm', '5:27.3.1-1~ubuntu.24.04~noble']],
]
const BASE = [
  'adduser', 'apt', 'base-files', 'base-passwd', 'bsdutils', 'cron', 'dash', 'debconf', 'debianutils', 'diffutils',
  'dpkg', 'e2fsprogs', 'findutils', 'gcc-12-base', 'gpgv', 'grep', 'gzip', 'hostname', 'init-system-helpers', 'iproute2',
  'iputils-ping', 'less', 'libacl1', 'libattr1', 'libaudit1', 'libblkid1', 'libbz2-1.0', 'libcap2', 'libgcrypt20', 'libgmp10',
  'libpam0g', 'libpcre2-8-0', 'libselinux1', 'libsystemd0', 'libudev1', 'login', 'logrotate', 'mount', 'ncurses-base', 'passwd',
]

/** The inventory of simulated agent `index` (its `collectedAt` is now). */
export function simInventory(index: number, hostname: string): Record<string, unknown> {
  const d = DISTROS[index % DISTROS.length]!
  const pick = <T>(xs: readonly T[], salt: number): T => xs[(index * 7 + salt * 13 + (index >> 3)) % xs.length]!
  const packages = [
    ...BASE.map((name, i) => ({ name, version: `${1 + (i % 5)}.${(index + i) % 3}.0-1`, arch: 'amd64' })),
    ...PACKAGES.map(([name, versions], i) => ({ name, version: pick(versions, i), arch: 'amd64' })),
  ].sort((a, b) => (a.name < b.name ? -1 : 1))
  return {
    os: {
      id: d.id,
      idLike: d.id === 'ubuntu' ? ['debian'] : [],
      name: d.name,
      prettyName: `${d.name} ${d.versionId} (${d.codename})`,
      versionId: d.versionId,
      versionCodename: d.codename,
      fields: {},
    },
    kernel: { release: `${d.kernel}${100 + (index % 40)}-amd64`, version: '#1 SMP PREEMPT_DYNAMIC', arch: 'x64', machine: 'x86_64' },
    hostname,
    cpus: { model: 'Simulated CPU', models: ['Simulated CPU'], count: 2 + 2 * (index % 4) },
    memory: { totalBytes: (4 + 4 * (index % 8)) * 2 ** 30, freeBytes: 2 ** 30 },
    disks: [{ mountPoint: '/', device: '/dev/vda1', fsType: 'ext4', readOnly: false, sizeBytes: 64 * 2 ** 30, freeBytes: 32 * 2 ** 30, availableBytes: 30 * 2 ** 30 }],
    network: [],
    packages: { manager: 'dpkg', packages },
    users: [],
    listeningPorts: [],
    notes: ['simulated by palisade sim: not collected from a machine'],
    collectedAt: new Date().toISOString(),
  }
}

/** SHA-256 (hex) of the inventory without its collection time, like the real agent's digest. */
export function simInventoryDigest(inventory: Record<string, unknown>): string {
  const { collectedAt: _ignored, ...stable } = inventory
  return createHash('sha256').update(JSON.stringify(stable)).digest('hex')
}
