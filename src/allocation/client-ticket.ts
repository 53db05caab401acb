import { createHmac, timingSafeEqual } from 'node:crypto';
import { bearerCredentials } from '../http/bearer-credentials';

/**
 * A ticket: `v1.<expiry>.<signature>`, where the expiry is in Unix seconds and the signature is
 * the HMAC-SHA256 of `v1.<expiry>` under CLIENT_TICKET_SECRET, in base64url without padding. A
 * studio's backend that knows its player issues one; the game client sends it as
 * `Authorization: Bearer <ticket>`.
 */
const TICKET = /^(v1\.(\d{1,12}))\.([A-Za-z0-9_-]{43})$/;

/** Why a request's ticket was refused. */
export type TicketRefusal = 'missing' | 'malformed' | 'forged' | 'expired';

export const TICKET_REFUSALS: Readonly<Record<TicketRefusal, string>> = {
  missing: 'a ticket is required: send Authorization: Bearer <ticket>',
  malformed: 'the ticket is malformed: expected Bearer v1.<expiry in Unix seconds>.<HMAC-SHA256 in base64url>',
  forged: 'the ticket was not signed with this fleet\'s secret',
  expired: 'the ticket has expired',
};

/** The signature of `payload` under `secret`. */
function signatureOf(secret: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(payload).digest();
}

/** A ticket valid until `expiresAt` (Unix seconds), as a studio's backend would issue it. */
export function signTicket(secret: string, expiresAt: number): string {
  const payload = `v1.${expiresAt}`;
  return `${payload}.${signatureOf(secret, payload).toString('base64url')}`;
}

/** Checks the tickets of game clients against one secret. */
export class TicketCheck {
  constructor(private readonly secret: string) {}

  /** Undefined if `authorization` carries a ticket signed with the secret and not yet expired, else why not. */
  refusalOf(authorization: string | undefined, now: number): TicketRefusal | undefined {
    if (authorization === undefined) return 'missing';
    const ticket = TICKET.exec(bearerCredentials(authorization) ?? '');
    if (!ticket) return 'malformed';
    const [, payload, expiresAt, signature] = ticket;
    const signed = Buffer.from(signature, 'base64url');
    // 43 characters carry 258 bits for 256: decoding drops the last character's two low bits, so four
    // spellings would pass for each signature. One ticket is one text, as signTicket writes it.
    if (signed.toString('base64url') !== signature) return 'malformed';
    // Constant time: how much of a forged signature is right must not show in how long the answer takes.
    if (!timingSafeEqual(signed, signatureOf(this.secret, payload))) return 'forged';
    return Number(expiresAt) * 1000 <= now ? 'expired' : undefined;
  }
}
