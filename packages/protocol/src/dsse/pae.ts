/**
 * DSSE Pre-Authentication Encoding (secure-systems-lab/dsse protocol.md,
 * "Signature Definition"). It is the only byte string a DSSE signature
 * covers, so the payload type is authenticated together with the body and
 * a signature made for one type can never be replayed under another.
 */
import { concat, isWellFormedString, utf8 } from '../bytes.js'
import { fail } from '../errors.js'

const PREFIX = utf8('DSSEv1 ')
const SP = utf8(' ')

/**
 * Returns PAE(UTF8(payloadType), payload):
 *
 *     "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
 *
 * LEN is the BYTE length (of the UTF-8 type, of the body) in ASCII decimal
 * without leading zeros. A type with an unpaired surrogate is refused
 * (PROTO_MALFORMED): it has no UTF-8 encoding, and replacing it with U+FFFD
 * would let two different types share one signature.
 *
 * @example
 * fromUtf8(pae('http://example.com/HelloWorld', utf8('hello world')))
 * // 'DSSEv1 29 http://example.com/HelloWorld 11 hello world'
 */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array {
  if (!isWellFormedString(payloadType)) fail('PROTO_MALFORMED', 'DSSE payloadType contains an unpaired surrogate')
  const type = utf8(payloadType)
  return concat(PREFIX, utf8(String(type.length)), SP, type, SP, utf8(String(payload.length)), SP, payload)
}
