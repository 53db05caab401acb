/**
 * The headers of every answer of the game client API: what a JSON API needs, after the OWASP REST
 * Security Cheat Sheet, and nothing meant for pages. helmet's full set (SECURITY_HEADERS: a page's
 * content security policy, cross-origin policies, ...) was 851 bytes on a 31-byte answer sent
 * thousands of times a second; the pages (/docs) keep it.
 * - `cache-control: no-store`: a place is for one player, never for a cache to hand to another.
 * - `content-security-policy` and `x-frame-options`: should a browser ever render the answer, it
 *   loads nothing and cannot be framed (drag-and-drop clickjacking).
 * - `x-content-type-options: nosniff`: JSON is never sniffed into HTML or script.
 * No `strict-transport-security`: the manager speaks plain HTTP, and browsers ignore the header
 * over it (RFC 6797, 8.1); the load balancer that terminates TLS is the place for it.
 */
export const JSON_API_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'content-type': 'application/json; charset=utf-8',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
});
