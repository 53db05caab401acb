import { signTicket, TicketCheck } from '../../src/allocation/client-ticket';

const SECRET = 'studio-ticket-secret-0123456789abcdef';
const NOW = 1_800_000_000_000;
const IN_A_MINUTE = NOW / 1000 + 60;
const check = new TicketCheck(SECRET);
const bearer = (ticket: string) => `Bearer ${ticket}`;
const valid = signTicket(SECRET, IN_A_MINUTE);
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** The ticket with its last character's unread low bit flipped: the same 32 bytes once decoded. */
const spelt = (ticket: string) => ticket.slice(0, -1) + BASE64URL[BASE64URL.indexOf(ticket.at(-1) as string) ^ 1];

describe('TicketCheck: the tickets of game clients, when CLIENT_TICKET_SECRET is set', () => {
  it.each<{ case: string; authorization: string | undefined; now?: number; expected: string | undefined }>([
    { case: 'a ticket signed with the secret, not yet expired', authorization: bearer(valid), expected: undefined },
    { case: 'valid until its last millisecond', authorization: bearer(valid), now: IN_A_MINUTE * 1000 - 1, expected: undefined },
    { case: 'expired at its expiry', authorization: bearer(valid), now: IN_A_MINUTE * 1000, expected: 'expired' },
    { case: 'no Authorization header', authorization: undefined, expected: 'missing' },
    { case: 'the scheme in any case (RFC 9110: case-insensitive)', authorization: `bearer ${valid}`, expected: undefined },
    { case: 'another scheme', authorization: `Basic ${valid}`, expected: 'malformed' },
    { case: 'anything before the scheme', authorization: `xBearer ${valid}`, expected: 'malformed' },
    { case: 'no space after the scheme', authorization: `Bearer${valid}`, expected: 'malformed' },
    { case: 'anything between the scheme and the ticket', authorization: `Bearer x${valid}`, expected: 'malformed' },
    { case: 'no version', authorization: bearer(valid.slice(3)), expected: 'malformed' },
    { case: 'a signature cut short', authorization: bearer(valid.slice(0, -1)), expected: 'malformed' },
    { case: 'trailing characters', authorization: bearer(`${valid}.x`), expected: 'malformed' },
    // The last character carries two bits nobody reads: 'c' and 'd' decode alike, only one is written.
    { case: 'its signature spelt another way that decodes the same', authorization: bearer(spelt(valid)), expected: 'malformed' },
    { case: 'signed with another secret', authorization: bearer(signTicket('another-secret-0123456789abcdef-xyz', IN_A_MINUTE)), expected: 'forged' },
    { case: 'its expiry moved later by hand', authorization: bearer(valid.replace(`v1.${IN_A_MINUTE}.`, `v1.${IN_A_MINUTE + 3600}.`)), expected: 'forged' },
    { case: 'a signature with one character changed', authorization: bearer(valid.slice(0, -2) + (valid.at(-2) === 'A' ? 'B' : 'A') + valid.at(-1)), expected: 'forged' },
    // The signature is checked before the expiry: "expired" is only ever said of a genuine ticket.
    { case: 'forged and expired: forged', authorization: bearer(signTicket('another-secret-0123456789abcdef-xyz', NOW / 1000 - 60)), expected: 'forged' },
  ])('$case', ({ authorization, now, expected }) => {
    expect(check.refusalOf(authorization, now ?? NOW)).toBe(expected);
  });

  it('a ticket is v1, the expiry in Unix seconds, and the HMAC-SHA256 of both in base64url', () => {
    // Computed apart from the code under test, as a studio's backend in any language would:
    // printf v1.1800000000 | openssl dgst -sha256 -hmac 0123456789abcdef0123456789abcdef -binary | base64 | tr '+/' '-_' | tr -d =
    expect(signTicket('0123456789abcdef0123456789abcdef', 1_800_000_000)).toBe('v1.1800000000.lkQgKxv80u2w0DdrLt_y_W0AA6w03saLVfY20TU7vOc');
  });
});
