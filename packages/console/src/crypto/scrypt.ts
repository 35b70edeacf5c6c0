/**
 * scrypt (RFC 7914) for the browser, which has no scrypt in WebCrypto:
 * PBKDF2-HMAC-SHA256 comes from WebCrypto, ROMix / BlockMix / Salsa20/8
 * are written here. Needed to open the CLI's key files in the browser
 * (packages/cli/src/keystore/key-file.ts: scrypt N=2^17, r=8, p=1).
 *
 * It yields to the event loop every few thousand iterations so the page
 * stays responsive and can show progress; the key file's parameters are
 * bounded by the caller before this runs (an edited file must not make
 * the tab allocate gigabytes).
 */

/** RFC 7914 §3: Salsa20/8 core on 16 words, in place. */
function salsa208(b: Uint32Array, x: Uint32Array): void {
  x.set(b)
  const R = (a: number, n: number): number => (a << n) | (a >>> (32 - n))
  for (let i = 0; i < 8; i += 2) {
    x[4]! ^= R(x[0]! + x[12]!, 7); x[8]! ^= R(x[4]! + x[0]!, 9)
    x[12]! ^= R(x[8]! + x[4]!, 13); x[0]! ^= R(x[12]! + x[8]!, 18)
    x[9]! ^= R(x[5]! + x[1]!, 7); x[13]! ^= R(x[9]! + x[5]!, 9)
    x[1]! ^= R(x[13]! + x[9]!, 13); x[5]! ^= R(x[1]! + x[13]!, 18)
    x[14]! ^= R(x[10]! + x[6]!, 7); x[2]! ^= R(x[14]! + x[10]!, 9)
    x[6]! ^= R(x[2]! + x[14]!, 13); x[10]! ^= R(x[6]! + x[2]!, 18)
    x[3]! ^= R(x[15]! + x[11]!, 7); x[7]! ^= R(x[3]! + x[15]!, 9)
    x[11]! ^= R(x[7]! + x[3]!, 13); x[15]! ^= R(x[11]! + x[7]!, 18)
    x[1]! ^= R(x[0]! + x[3]!, 7); x[2]! ^= R(x[1]! + x[0]!, 9)
    x[3]! ^= R(x[2]! + x[1]!, 13); x[0]! ^= R(x[3]! + x[2]!, 18)
    x[6]! ^= R(x[5]! + x[4]!, 7); x[7]! ^= R(x[6]! + x[5]!, 9)
    x[4]! ^= R(x[7]! + x[6]!, 13); x[5]! ^= R(x[4]! + x[7]!, 18)
    x[11]! ^= R(x[10]! + x[9]!, 7); x[8]! ^= R(x[11]! + x[10]!, 9)
    x[9]! ^= R(x[8]! + x[11]!, 13); x[10]! ^= R(x[9]! + x[8]!, 18)
    x[12]! ^= R(x[15]! + x[14]!, 7); x[13]! ^= R(x[12]! + x[15]!, 9)
    x[14]! ^= R(x[13]! + x[12]!, 13); x[15]! ^= R(x[14]! + x[13]!, 18)
  }
  for (let i = 0; i < 16; i++) b[i] = (b[i]! + x[i]!) | 0
}

/** RFC 7914 §4: BlockMix with Salsa20/8; `b` (2r blocks of 16 words) into `y`. */
function blockMix(b: Uint32Array, y: Uint32Array, r: number, t: Uint32Array, x: Uint32Array): void {
  t.set(b.subarray((2 * r - 1) * 16, 2 * r * 16))
  for (let i = 0; i < 2 * r; i++) {
    for (let j = 0; j < 16; j++) t[j]! ^= b[i * 16 + j]!
    salsa208(t, x)
    // even blocks first, then odd ones
    y.set(t, ((i & 1) * r + (i >> 1)) * 16)
  }
}

async function pbkdf2(password: Uint8Array, salt: Uint8Array, length: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', password as BufferSource, 'PBKDF2', false, ['deriveBits'])
  const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: salt as BufferSource, iterations: 1 }, key, length * 8)
  return new Uint8Array(bits)
}

/**
 * scrypt(password, salt, N, r, p, dkLen). `onProgress` gets 0..1.
 *
 * @example
 * const key = await scrypt(utf8(passphrase.normalize('NFC')), salt, 131072, 8, 1, 32)
 */
export async function scrypt(
  password: Uint8Array,
  salt: Uint8Array,
  N: number,
  r: number,
  p: number,
  dkLen: number,
  onProgress?: (fraction: number) => void,
): Promise<Uint8Array> {
  const blockWords = 32 * r
  const B = await pbkdf2(password, salt, p * 128 * r)
  // little-endian words (RFC 7914 §2 integerify and Salsa20 are little-endian)
  const words = new Uint32Array(p * blockWords)
  const view = new DataView(B.buffer, B.byteOffset, B.byteLength)
  for (let i = 0; i < words.length; i++) words[i] = view.getUint32(i * 4, true)
  const V = new Uint32Array(N * blockWords)
  const X = new Uint32Array(blockWords)
  const Y = new Uint32Array(blockWords)
  const T = new Uint32Array(16)
  const S = new Uint32Array(16)
  const total = 2 * N * p
  let done = 0
  const step = 2048
  for (let k = 0; k < p; k++) {
    X.set(words.subarray(k * blockWords, (k + 1) * blockWords))
    for (let i = 0; i < N; i++) {
      V.set(X, i * blockWords)
      blockMix(X, Y, r, T, S)
      X.set(Y)
      if (++done % step === 0) {
        onProgress?.(done / total)
        await new Promise((res) => setTimeout(res, 0))
      }
    }
    for (let i = 0; i < N; i++) {
      const j = X[(2 * r - 1) * 16]! & (N - 1)
      for (let w = 0; w < blockWords; w++) X[w]! ^= V[j * blockWords + w]!
      blockMix(X, Y, r, T, S)
      X.set(Y)
      if (++done % step === 0) {
        onProgress?.(done / total)
        await new Promise((res) => setTimeout(res, 0))
      }
    }
    words.set(X, k * blockWords)
  }
  onProgress?.(1)
  const out = new Uint8Array(words.length * 4)
  const ov = new DataView(out.buffer)
  for (let i = 0; i < words.length; i++) ov.setUint32(i * 4, words[i]!, true)
  return pbkdf2(password, out, dkLen)
}
