/**
 * The lines that show the operator the one-time setup code. They go to the
 * operator's terminal (stdout), deliberately not to the logger, whose
 * output is collected and shared more widely than a terminal.
 */

/**
 * The notice for `code`, with the command that uses it against `base`
 * (the public URL, else the listening URL).
 *
 * @example
 * process.stdout.write(formatSetupCodeNotice('K7QX-…', 'https://mdm.example.com'))
 */
export function formatSetupCodeNotice(code: string, base: string): string {
  return (
    `Palisade setup code (one-time, valid until the next restart): ${code}\n` +
    `  create an org: palisade org init --server ${base} --setup-code ${code} …\n`
  )
}
