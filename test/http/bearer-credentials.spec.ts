import { bearerCredentials } from '../../src/http/bearer-credentials';

describe('bearerCredentials: what follows the Bearer scheme of an Authorization header', () => {
  it.each<{ case: string; authorization: string | undefined; expected: string | undefined }>([
    { case: 'the credentials after "Bearer "', authorization: 'Bearer abc.def', expected: 'abc.def' },
    { case: 'the scheme in lower case (RFC 9110: case-insensitive)', authorization: 'bearer abc', expected: 'abc' },
    { case: 'the scheme in capitals', authorization: 'BEARER abc', expected: 'abc' },
    { case: 'no header', authorization: undefined, expected: undefined },
    { case: 'another scheme', authorization: 'Basic abc', expected: undefined },
    { case: 'anything before the scheme', authorization: 'xBearer abc', expected: undefined },
    { case: 'no space after the scheme', authorization: 'Bearerabc', expected: undefined },
    { case: 'the scheme alone', authorization: 'Bearer', expected: undefined },
    { case: 'nothing after the space: empty, for the caller to refuse', authorization: 'Bearer ', expected: '' },
  ])('$case', ({ authorization, expected }) => {
    expect(bearerCredentials(authorization)).toBe(expected);
  });
});
