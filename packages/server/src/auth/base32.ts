/**
 * RFC 4648 §6 base32 without padding, for human-facing secrets (API key
 * prefixes, setup codes): no 0/1/8/9, so O/I/B/g misreadings cannot occur,
 * and case-insensitive when read back.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

/**
 * Base32 of `bytes`, upper case, unpadded.
 *
 * @example
 * base32(Uint8Array.of(0xff)) // '74'
 */
export function base32(bytes: Uint8Array): string {
  let out = ''
  let bits = 0
  let value = 0
  for (const b of bytes) {
    value = (value << 8) | b
    bits += 8
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
    value &= (1 << bits) - 1 // keep only the unread bits, so value never grows
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31]
  return out
}
