// The slice of node:crypto that ed25519-node.ts uses. Declared here rather
// than pulling in @types/node, so that nothing else in this package can
// reach a Node API by accident: protocol is I/O-free by construction.
declare module 'node:crypto' {
  interface KeyObject {
    readonly type: string
    export(options: { format: 'der'; type: 'spki' }): Uint8Array
  }
  export function createPublicKey(key: { key: Uint8Array; format: 'der'; type: 'spki' } | KeyObject): KeyObject
  export function createPrivateKey(key: { key: Uint8Array; format: 'der'; type: 'pkcs8' }): KeyObject
  export function verify(algorithm: null, data: Uint8Array, key: KeyObject, signature: Uint8Array): boolean
  export function sign(algorithm: null, data: Uint8Array, key: KeyObject): Uint8Array
  export function hash(algorithm: 'sha256', data: Uint8Array, outputEncoding: 'buffer'): Uint8Array
  export function createHash(algorithm: 'sha256'): {
    update(data: Uint8Array): { digest(): Uint8Array }
  }
}
