import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { findUser, parsePasswd, readPasswd } from './passwd.js'

const SAMPLE = [
  'root:x:0:0:root:/root:/bin/bash',
  '# a comment',
  '',
  'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
  '+nisuser::::::',
  'broken:x:abc:1::/:/bin/sh',
  'short:x:1:1',
  ':x:5:5::/:/bin/sh',
  'alice:x:1000:1000:Alice A,,,:/home/alice:/bin/zsh',
  'dup:x:1001:1001::/home/dup1:/bin/sh',
  'dup:x:1002:1002::/home/dup2:/bin/sh',
  'huge:x:99999999999:1::/:/bin/sh',
].join('\n')

describe('parsePasswd', () => {
  it('keeps well-formed account lines and skips the rest', () => {
    const users = parsePasswd(SAMPLE)
    assert.deepEqual(
      users.map((u) => u.name),
      ['root', 'daemon', 'alice', 'dup', 'dup'],
    )
    assert.deepEqual(findUser(users, 'alice'), {
      name: 'alice',
      uid: 1000,
      gid: 1000,
      gecos: 'Alice A,,,',
      home: '/home/alice',
      shell: '/bin/zsh',
    })
  })

  it('lets the first of two lines with one name win', () => {
    assert.equal(findUser(parsePasswd(SAMPLE), 'dup')?.home, '/home/dup1')
    assert.equal(findUser(parsePasswd(SAMPLE), 1002)?.home, '/home/dup2')
  })

  it('never throws on random bytes', () => {
    for (let i = 0; i < 200; i++) {
      const junk = Array.from({ length: 80 }, () => String.fromCharCode(Math.floor(Math.random() * 128))).join('')
      assert.ok(Array.isArray(parsePasswd(junk + ':x:1:1::/:\n' + junk)))
    }
  })
})

describe('readPasswd', () => {
  it('reads this machine and finds root', async () => {
    const users = await readPasswd()
    assert.ok(users)
    assert.equal(findUser(users, 0)?.name, 'root')
  })

  it('returns null for a missing file', async () => {
    assert.equal(await readPasswd('/nonexistent/passwd'), null)
  })
})
