/** The scheme and its space, lower-cased: a scheme's name is case-insensitive (RFC 9110, 11.1), and some HTTP libraries send `bearer`. */
const SCHEME = 'bearer ';

/** What follows `Bearer ` in an Authorization header, or undefined if the header is absent or of another scheme. */
export function bearerCredentials(authorization: string | undefined): string | undefined {
  if (authorization === undefined || authorization.slice(0, SCHEME.length).toLowerCase() !== SCHEME) return undefined;
  return authorization.slice(SCHEME.length);
}
