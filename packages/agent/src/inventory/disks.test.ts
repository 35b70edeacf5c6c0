import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { collectDisks, parseMounts } from './disks.js'

describe('parseMounts', () => {
  it('unescapes octal sequences and splits options', () => {
    const [m] = parseMounts('/dev/sdb1 /media/my\\040disk vfat ro,nosuid 0 0\n')
    assert.deepEqual(m, { device: '/dev/sdb1', mountPoint: '/media/my disk', fsType: 'vfat', options: ['ro', 'nosuid'] })
  })

  it('skips short lines and relative mount points', () => {
    assert.deepEqual(parseMounts('junk\nnone relative ext4 rw 0 0\n\n'), [])
  })
})

describe('collectDisks', () => {
  it('reports the root filesystem of this machine with plausible sizes', async () => {
    const notes: string[] = []
    const disks = await collectDisks({ notes })
    const root = disks.find((d) => d.mountPoint === '/')
    assert.ok(root, `no / in ${JSON.stringify(disks)}`)
    assert.ok(root.sizeBytes !== null && root.sizeBytes > 0)
    assert.ok(root.freeBytes !== null && root.freeBytes <= root.sizeBytes)
    assert.ok(root.availableBytes !== null && root.availableBytes <= root.freeBytes)
    for (const d of disks) assert.ok(!['proc', 'sysfs', 'tmpfs', 'cgroup', 'devpts'].includes(d.fsType))
    assert.deepEqual(
      disks.map((d) => d.mountPoint),
      [...disks.map((d) => d.mountPoint)].sort(),
    )
  })

  it('keeps the top mount of a stacked mount point and notes a failing statfs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'palisade-mounts-'))
    try {
      const path = join(dir, 'mounts')
      await writeFile(path, 'a / ext4 rw 0 0\nb / xfs ro 0 0\nproc /proc proc rw 0 0\nc /nonexistent/x ext4 rw 0 0\n')
      const notes: string[] = []
      const disks = await collectDisks({ notes, mountsPath: path })
      assert.deepEqual(
        disks.map((d) => [d.mountPoint, d.device, d.fsType, d.readOnly]),
        [['/', 'b', 'xfs', true], ['/nonexistent/x', 'c', 'ext4', false]],
      )
      assert.equal(disks[1]?.sizeBytes, null)
      assert.deepEqual(notes, ['disks: statfs /nonexistent/x ENOENT'])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('returns [] and a note when the mount table is missing', async () => {
    const notes: string[] = []
    assert.deepEqual(await collectDisks({ notes, mountsPath: '/nonexistent/mounts' }), [])
    assert.deepEqual(notes, ['disks: mounts ENOENT'])
  })
})
