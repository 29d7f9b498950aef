/**
 * Whether a `Prefer` header (RFC 7240) asks for `respond-async`: a comma-separated list of
 * preferences, each a token with optional `=value` and `;` parameters, matched case-insensitively.
 */
export function prefersRespondAsync(header: string | undefined): boolean {
  if (!header) return false;
  return header
    .split(',')
    .some((preference) => preference.split(/[=;]/, 1)[0]!.trim().toLowerCase() === 'respond-async');
}
