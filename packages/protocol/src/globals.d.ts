// The only globals protocol uses, present in every engine it runs on
// (Node ≥ 20, browsers). Declared by hand: the package has no DOM or Node
// types, so fetch, timers and the file system do not type-check here.
declare class TextEncoder {
  encode(input: string): Uint8Array
  encodeInto(input: string, dest: Uint8Array): { read: number; written: number }
}
declare class TextDecoder {
  constructor(label: 'utf-8', options: { fatal: boolean; ignoreBOM: boolean })
  decode(input: Uint8Array): string
}
