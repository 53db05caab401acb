import { Controller, Get, Inject, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { DASHBOARD_FILES } from './dashboard.tokens';
import type { DashboardFile } from './dashboard-files';

/**
 * The operator's page at /dashboard. The page holds no data: it reads the operator API with the
 * token the operator types, so serving it needs none. It gets the full set of page headers
 * (security-headers.ts): its scripts and styles are its own files, nothing inline.
 */
@ApiExcludeController()
@Controller('dashboard')
export class DashboardController {
  constructor(@Inject(DASHBOARD_FILES) private readonly files: ReadonlyMap<string, DashboardFile>) {}

  @Get()
  page(@Res() reply: FastifyReply): void {
    this.send(reply, '');
  }

  @Get(':name')
  asset(@Param('name') name: string, @Res() reply: FastifyReply): void {
    this.send(reply, name);
  }

  private send(reply: FastifyReply, name: string): void {
    const file = this.files.get(name);
    if (!file) throw new NotFoundException(`no file ${name} in the dashboard`);
    // Revalidated each time: a manager upgraded in place serves its new page at once.
    void reply.type(file.type).header('cache-control', 'no-cache').send(file.body);
  }
}
