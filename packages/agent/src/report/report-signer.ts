/**
 * Signs what the device reports: results of commands it ran and rejections
 * of deliveries it refused, as DSSE envelopes under the device key
 * (keyid = keyId(device public key)). The server relays and stores them; it
 * cannot forge them, because the device key never leaves the device.
 */
import {
  dsse,
  formatReport,
  keyId,
  REJECTION_PAYLOAD_TYPE,
  RESULT_PAYLOAD_TYPE,
  type CommandResult,
  type Rejection,
} from '@palisade/protocol'

/** Signs reports with one device key. */
export class ReportSigner {
  readonly keyid: string
  readonly #signer: dsse.Signer

  constructor(seed: Uint8Array, publicKey: Uint8Array) {
    this.keyid = keyId(publicKey)
    this.#signer = dsse.ed25519Signer(this.keyid, seed)
  }

  /**
   * The DSSE envelope (canonical JSON text) of a result or rejection.
   * formatReport re-parses the payload first, so nothing unparseable is signed.
   *
   * @example
   * const envelope = await signer.sign(rejection)
   */
  async sign(report: CommandResult | Rejection): Promise<string> {
    const type = report.type === 'palisade.result/v1' ? RESULT_PAYLOAD_TYPE : REJECTION_PAYLOAD_TYPE
    const env = await dsse.signEnvelope(type, formatReport(report), [this.#signer])
    return dsse.formatEnvelope(env)
  }
}
