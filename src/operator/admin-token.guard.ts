import { CanActivate, ExecutionContext, ForbiddenException, Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { Settings } from '../config/settings';
import { bearerCredentials } from '../http/bearer-credentials';

const digest = (value: string) => createHash('sha256').update(value).digest();
const TOKEN_FORM = /^\S+$/;

/**
 * Operator endpoints exist only when ADMIN_TOKEN is set (404 otherwise, as if absent), and need
 * `Authorization: Bearer <token>`. Tokens are compared as fixed-length digests in constant time,
 * so neither the content nor the length of the token leaks through timing.
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly expected?: Buffer;

  constructor(settings: Settings) {
    this.expected = settings.ADMIN_TOKEN === undefined ? undefined : digest(settings.ADMIN_TOKEN);
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.expected) throw new NotFoundException();
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization;
    const token = bearerCredentials(header);
    if (!token || !TOKEN_FORM.test(token)) throw new UnauthorizedException('operator endpoints need Authorization: Bearer <ADMIN_TOKEN>');
    if (!timingSafeEqual(digest(token), this.expected)) throw new ForbiddenException('wrong token');
    return true;
  }
}
