/**
 * Runs protocol's synchronous verification functions in the browser.
 *
 * protocol decides trust synchronously (CryptoProvider.verify), but the
 * browser only has asynchronous Ed25519 (WebCrypto). So the check runs in
 * rounds: a round answers every signature question from a memo of real
 * WebCrypto verifications, records the questions it could not answer
 * (answering them "valid" provisionally so the check reaches all of them),
 * and those are then verified for real. The result of a round counts only
 * when it asked nothing new, i.e. every signature it relied on was actually
 * verified by WebCrypto under protocol's encoding rule. Fail-closed: a
 * provisional answer never escapes.
 */
import { sha256Portable, toBase64, webCryptoEd25519, type CryptoProvider } from '@palisade/protocol'

const ed25519 = webCryptoEd25519(crypto.subtle as unknown as Parameters<typeof webCryptoEd25519>[0])

/**
 * Runs `check(provider)` until every signature it looked at was verified.
 *
 * @example
 * const chain = await verifyAsync((p) => verifyRootChain({ pinned }, roots, now, p))
 */
export async function verifyAsync<T>(check: (provider: CryptoProvider) => T, maxRounds = 8): Promise<T> {
  const memo = new Map<string, boolean>()
  for (let round = 0; round < maxRounds; round++) {
    const asked: [string, Uint8Array, Uint8Array, Uint8Array][] = []
    const provider: CryptoProvider = Object.freeze({
      name: 'webcrypto-memo',
      sha256: sha256Portable,
      ed25519,
      verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
        const k = `${toBase64(publicKey)} ${toBase64(signature)} ${toBase64(sha256Portable(message))}`
        const known = memo.get(k)
        if (known !== undefined) return known
        asked.push([k, publicKey.slice(), message.slice(), signature.slice()])
        return true // provisional: this round's result is discarded
      },
    })
    let result: { ok: true; value: T } | { ok: false; error: unknown }
    try {
      result = { ok: true, value: check(provider) }
    } catch (error) {
      result = { ok: false, error }
    }
    if (asked.length === 0) {
      if (result.ok) return result.value
      throw result.error
    }
    await Promise.all(asked.map(async ([k, pub, msg, sig]) => memo.set(k, await ed25519.verify(pub, msg, sig))))
  }
  throw new Error('signature verification did not settle')
}
