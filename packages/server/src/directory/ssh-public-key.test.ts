import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { formatSshPublicKey, parseSshPublicKey } from './ssh-public-key.js'

// Golden lines written by OpenSSH's ssh-keygen (an independent implementation of the format).
const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIACcXllR4KZQuIAmDepBXjtWbDscLfTw2DLyNc1eC+JO ada@laptop'
const RSA_2048 =
  'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC/gW+WZ2oL8ZzuomkrMoZ/RbemkLFehr0dFqOfNEf1tBZIZ0m6IdrUMw6v+iK1Pcor7YOE4giHMv4pQJq1XiwRDEMwt364VxAX9QC2/SK0Dc8YRrpatlMr8Fl0c7wyxjPYoX1NOCMcEOx8s5rnIS1TNi/1oBwA/2pX2sLX+WGoJK5CW1Lg50TZnsz0YZt1kiPcLHU923QfX862mKldgX3co1a5fc2HyZPCzulQcyCkCRLMpEqWQ4RI0yTE2wLTOQXL6FB4/fLoVWNSbGU2uHwwlDxPUF+IxzCF4+zS96ogiVHlF3YhR5YbhfHtITC/mlxxWp1RR0K98xmjLghw4f/P'
const RSA_1024 =
  'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDPcqHlU/HbamNgxr4ldROylSo4GPYd425bAAGY9DiNNZ13SjuUpmGbQDqX0QF+5WQRdMvveA8YJharAAYY3fIR7ALhJOOpFH95Ii0xNxLu1Gs34zyvBpf38HTaeJ4pEC7cF2pQnHe/h1F5Np1NgX4gMy369xN0215S61FrPLqDhQ== root@vm'
const ECDSA_256 =
  'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEb32qs8Gjpk/T7t6n1giX1dAoDBXsUgtrQasIuZG0hwVxUsQmkaHGIZIEUoUvDDGODoiqg8Op0ojgSIOKyoibo='
const ECDSA_384 =
  'ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBDXudtaeLcMzRRvJqm6Zs57sp2lO42XUPLXKpZZXIzjoYYBjfSwKOeyZyw/HPP9GAgDknlpKWG6JvvXA5fR+nGW1FdNPrbLZumFRvd1XMvCPL1xg7tJN/+wsz2kiORy+MQ== ec key'
const ECDSA_521 =
  'ecdsa-sha2-nistp521 AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBAD8wF377sf8ajvuHCOvpAqzQMvFre0pIV5nse1OURvp3nrg7vpuC7s3NiY4a22ocjraGkZ4cK6SquEnSLT1Et9SrQA+o5uJmdjHytNl+A8d0TBDQn+a/AkmntfFBdGZ9cLiEE+B+J+hAhSJPybLt+HUv5QbaGD+5mSx/BYDEbI410D9sg== x'

/** SSH wire string: uint32 length ‖ bytes. */
function wire(...parts: (string | Uint8Array)[]): Buffer {
  return Buffer.concat(parts.map((p) => {
    const b = typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p)
    const len = Buffer.alloc(4)
    len.writeUInt32BE(b.length)
    return Buffer.concat([len, b])
  }))
}

function p256Point(): Buffer {
  const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' })
  return Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')])
}

const reasonOf = (line: string): string => {
  const r = parseSshPublicKey(line)
  assert.equal(r.ok, false, line)
  return (r as { reason: string }).reason
}

describe('parseSshPublicKey', () => {
  it('accepts the key lines ssh-keygen writes, keeping type, blob and comment', () => {
    for (const line of [ED25519, RSA_2048, ECDSA_256, ECDSA_384, ECDSA_521]) {
      const r = parseSshPublicKey(line)
      assert.ok(r.ok, line)
      assert.equal(formatSshPublicKey(r.key), line)
    }
    const ed = parseSshPublicKey(ED25519)
    assert.ok(ed.ok)
    assert.deepEqual({ ...ed.key }, { type: 'ssh-ed25519', blob: ED25519.split(' ')[1], comment: 'ada@laptop' })
  })

  it('accepts security-key types (sk-ssh-ed25519, sk-ecdsa) with their application string', () => {
    const ed = wire('sk-ssh-ed25519@openssh.com', randomBytes(32), 'ssh:').toString('base64')
    const ec = wire('sk-ecdsa-sha2-nistp256@openssh.com', 'nistp256', p256Point(), 'ssh:').toString('base64')
    assert.ok(parseSshPublicKey(`sk-ssh-ed25519@openssh.com ${ed} yubikey`).ok)
    assert.ok(parseSshPublicKey(`sk-ecdsa-sha2-nistp256@openssh.com ${ec}`).ok)
    const noApp = wire('sk-ssh-ed25519@openssh.com', randomBytes(32)).toString('base64')
    assert.match(reasonOf(`sk-ssh-ed25519@openssh.com ${noApp}`), /application/)
  })

  it('normalises surrounding whitespace and tabs to the single-space form', () => {
    const [type, blob] = ED25519.split(' ')
    const r = parseSshPublicKey(`  ${type}\t${blob}   ada@laptop \n`)
    assert.ok(r.ok)
    assert.equal(formatSshPublicKey(r.key), ED25519)
  })

  it('refuses RSA keys under 2048 bits, naming the size', () => {
    assert.match(reasonOf(RSA_1024), /1024 bits; at least 2048/)
  })

  it('refuses a key whose embedded type differs from the declared one', () => {
    assert.match(reasonOf(`ssh-rsa ${ED25519.split(' ')[1]}`), /declares type ssh-rsa but its key is of another type/)
    assert.match(reasonOf(`ecdsa-sha2-nistp256 ${ECDSA_384.split(' ')[1]}`), /another type/)
  })

  it('refuses unknown types, DSA, options prefixes and lines without a key', () => {
    assert.match(reasonOf('ssh-dss AAAAB3NzaC1kc3MAAACBAP'), /key type "ssh-dss"/)
    assert.match(reasonOf(`from="10.0.0.1" ${ED25519}`), /key type/)
    assert.match(reasonOf('ssh-ed25519'), /not an OpenSSH public key line/)
    assert.match(reasonOf(''), /not an OpenSSH public key line/)
  })

  it('refuses bad base64, non-canonical base64, truncation and trailing bytes', () => {
    const blob = ED25519.split(' ')[1]!
    assert.match(reasonOf('ssh-ed25519 AAAA$$$$'), /base64/)
    assert.match(reasonOf(`ssh-ed25519 ${blob.slice(0, -4)}`), /truncated|32 bytes|base64/)
    const raw = Buffer.from(blob, 'base64')
    assert.match(reasonOf(`ssh-ed25519 ${Buffer.concat([raw, Buffer.from([0])]).toString('base64')}`), /trailing bytes/)
    // The last base64 character carries unused bits; a non-zero one decodes to the same bytes.
    const ec = ECDSA_256.split(' ')[1]!
    const tweaked = ec.slice(0, -2) + 'p='
    assert.notEqual(tweaked, ec)
    assert.match(reasonOf(`ecdsa-sha2-nistp256 ${tweaked}`), /canonical|not on its curve|malformed/)
  })

  it('refuses an ECDSA point that is not on its curve, and the wrong curve name', () => {
    const point = p256Point()
    point[point.length - 1]! ^= 1
    assert.match(reasonOf(`ecdsa-sha2-nistp256 ${wire('ecdsa-sha2-nistp256', 'nistp256', point).toString('base64')}`), /not on its curve/)
    assert.match(reasonOf(`ecdsa-sha2-nistp256 ${wire('ecdsa-sha2-nistp256', 'nistp384', p256Point()).toString('base64')}`), /curve other than nistp256/)
  })

  it('refuses long comments and control characters in them', () => {
    assert.match(reasonOf(`${ED25519.slice(0, ED25519.lastIndexOf(' '))} ${'c'.repeat(257)}`), /longer than 256/)
    assert.match(reasonOf(`${ED25519}\u0007bell`), /control characters/)
    assert.match(reasonOf(`${ED25519}\nssh-ed25519 AAAA`), /control characters/)
  })

  it('never throws on random or mutated input', () => {
    const seeds = [ED25519, RSA_2048, ECDSA_384]
    for (let i = 0; i < 2000; i++) {
      const base = Buffer.from(seeds[i % seeds.length]!, 'latin1')
      const mutated = Buffer.from(base)
      for (let j = 0; j < 1 + (i % 4); j++) mutated[Math.floor(Math.random() * mutated.length)] = Math.floor(Math.random() * 256)
      const line = i % 10 === 0 ? randomBytes(i % 200).toString('latin1') : mutated.toString('latin1')
      const r = parseSshPublicKey(line)
      assert.equal(typeof r.ok, 'boolean')
    }
  })
})
