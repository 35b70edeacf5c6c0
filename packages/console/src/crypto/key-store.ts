/**
 * The admin's signing keys kept in this browser: IndexedDB holds the
 * CryptoKey objects themselves (structured clone keeps them
 * non-extractable), so the private key never exists as bytes page script
 * can read. Clearing the site's data deletes them.
 */
import { keyId, toBase64 } from '@palisade/protocol'

/** One stored key. */
export interface StoredKey {
  /** keyId(publicKey): what signatures carry and roots list. */
  readonly keyid: string
  readonly name: string
  readonly publicKey: string
  readonly key: CryptoKey
  /** 'imported' from a CLI key file, or 'browser' (created here). */
  readonly origin: 'imported' | 'browser'
  readonly createdAt: number
}

const DB = 'palisade-keys'
const STORE = 'keys'

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1)
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'keyid' })
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error ?? new Error('IndexedDB is not available'))
  })
}

async function tx<T>(mode: IDBTransactionMode, run: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open()
  try {
    return await new Promise<T>((resolve, reject) => {
      const t = db.transaction(STORE, mode)
      const req = run(t.objectStore(STORE))
      t.oncomplete = () => resolve(req.result)
      t.onerror = () => reject(t.error ?? new Error('IndexedDB transaction failed'))
      t.onabort = () => reject(t.error ?? new Error('IndexedDB transaction aborted'))
    })
  } finally {
    db.close()
  }
}

/** Every key stored in this browser. */
export function listKeys(): Promise<StoredKey[]> {
  return tx('readonly', (s) => s.getAll() as IDBRequest<StoredKey[]>)
}

/** Stores a key (replacing one with the same key id). */
export async function saveKey(name: string, publicKey: Uint8Array, key: CryptoKey, origin: StoredKey['origin']): Promise<StoredKey> {
  const stored: StoredKey = { keyid: keyId(publicKey), name, publicKey: toBase64(publicKey), key, origin, createdAt: Date.now() }
  await tx('readwrite', (s) => s.put(stored))
  return stored
}

/** Deletes a key from this browser. */
export async function deleteKey(keyid: string): Promise<void> {
  await tx('readwrite', (s) => s.delete(keyid))
}
