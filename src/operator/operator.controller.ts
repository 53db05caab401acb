import { BadRequestException, Body, Controller, Get, HttpCode, HttpStatus, Param, ParseBoolPipe, Patch, Post, Query, UseGuards } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AdminTokenGuard } from './admin-token.guard';
import { FleetViewDto, ServerActionResultDto, TuningViewDto } from './fleet-view.dto';
import { OperatorService } from './operator.service';
import { RecordedTrace } from '../scaling/demand-record';
import { HistoryPoint, HISTORY_HOURS, HISTORY_STEP_MS } from '../scaling/fleet-history';
import { WhatIfResult, WHAT_IF_SETTINGS } from './what-if';
import { DEFAULT_WHAT_IF_LIMITS, WhatIfService } from './what-if.service';

/** Steering the fleet by hand. Off unless ADMIN_TOKEN is set; never reachable cross-origin. */
@ApiTags('operator')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'no Authorization: Bearer header' })
@ApiForbiddenResponse({ description: 'wrong token' })
@ApiNotFoundResponse({ description: 'operator endpoints are off (no ADMIN_TOKEN), or no such server' })
@UseGuards(AdminTokenGuard)
@Controller('fleet')
export class OperatorController {
  constructor(
    private readonly operator: OperatorService,
    private readonly whatIfs: WhatIfService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The whole fleet: every server with its state, capacity, places handed out, age and platform ids, plus totals and margins' })
  @ApiOkResponse({ type: FleetViewDto })
  fleet(): FleetViewDto {
    return this.operator.fleet();
  }

  @Get('settings')
  @ApiOperation({ summary: 'The settings that can change at run time, and the changes made since start-up' })
  @ApiOkResponse({ type: TuningViewDto })
  settings(): TuningViewDto {
    return this.operator.tuningView();
  }

  @Patch('settings')
  @ApiOperation({
    summary: 'Change MARGIN_MODE, UPSCALE_MARGIN, DOWNSCALE_MARGIN, MIN_SERVERS, MAX_SERVERS or CAPACITY_SCHEDULE (a JSON list of windows, [] for none) without a restart, validated as the environment is; kept until the next restart',
  })
  @ApiBody({ schema: { type: 'object', example: { MARGIN_MODE: 'adaptive', UPSCALE_MARGIN: 6, DOWNSCALE_MARGIN: 20 } } })
  @ApiOkResponse({ type: TuningViewDto })
  @ApiBadRequestResponse({ description: 'a value the environment would refuse too, or a setting that cannot change at run time; the message names each' })
  tune(@Body() patch: Record<string, unknown>): TuningViewDto {
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw new BadRequestException('the body must be a JSON object of settings');
    return this.operator.tune(patch);
  }

  @Get('demand')
  @ApiOperation({
    summary: 'The demand of the last 7 days, per minute, as a trace that `npm run simulate` reads unchanged: replay the real week against candidate settings',
  })
  @ApiOkResponse({ description: 'a JSON trace: description, session, startPlayers, arrivals (per minute)' })
  demand(): RecordedTrace {
    return this.operator.demand();
  }

  @Get('history')
  @ApiOperation({ summary: `The fleet of the last ${HISTORY_HOURS} hours, a point per ${HISTORY_STEP_MS / 1000} s: players, capacity up, free places, the margins, servers by state, launches and players turned away` })
  @ApiQuery({ name: 'since', required: false, type: Number, description: 'only the points from then on, in ms since the epoch' })
  @ApiOkResponse({ description: 'stepSeconds and the points, oldest first' })
  history(@Query('since') since?: string): { stepSeconds: number; points: HistoryPoint[] } {
    const from = since === undefined ? 0 : Number(since);
    if (!Number.isFinite(from)) throw new BadRequestException('since must be a time in ms since the epoch');
    return { stepSeconds: HISTORY_STEP_MS / 1000, points: this.operator.history(from) };
  }

  @Post('what-if')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: `Replay the recorded demand against the current settings and candidate ones (${WHAT_IF_SETTINGS.join(', ')}), off the event loop, at most ${DEFAULT_WHAT_IF_LIMITS.timeLimitMs / 1000} s`,
  })
  @ApiBody({ schema: { type: 'object', example: { settings: { UPSCALE_MARGIN: 8, DOWNSCALE_MARGIN: 24 }, bootSeconds: 90, hours: 24 } } })
  @ApiOkResponse({ description: 'the figures and the chart of both runs' })
  @ApiBadRequestResponse({ description: 'a setting the environment would refuse, or a bad bootSeconds or hours; the message names each' })
  @ApiConflictResponse({ description: 'no demand recorded yet' })
  @ApiResponse({ status: HttpStatus.UNPROCESSABLE_ENTITY, description: 'the simulation went past its time or memory limit and was stopped: replay fewer hours' })
  @ApiResponse({ status: HttpStatus.TOO_MANY_REQUESTS, description: 'a what-if is running already; one runs at a time' })
  whatIf(@Body() body: unknown): Promise<WhatIfResult> {
    return this.whatIfs.run(body);
  }

  @Post('servers/:id/drain')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Give a ready server no new players; it keeps the ones it has and stops once empty' })
  @ApiAcceptedResponse({ type: ServerActionResultDto })
  @ApiConflictResponse({ description: 'the server is not ready' })
  drain(@Param('id') id: string): ServerActionResultDto {
    return this.operator.drain(id);
  }

  @Post('servers/:id/undrain')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Bring a draining server back to taking players' })
  @ApiAcceptedResponse({ type: ServerActionResultDto })
  @ApiConflictResponse({ description: 'the server is not draining' })
  undrain(@Param('id') id: string): ServerActionResultDto {
    return this.operator.undrain(id);
  }

  @Post('servers/:id/stop')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Stop a server; refused while it has players unless force=true' })
  @ApiQuery({ name: 'force', required: false, type: Boolean })
  @ApiAcceptedResponse({ type: ServerActionResultDto })
  @ApiConflictResponse({ description: 'the server has players and force is not set, or it is already stopping' })
  stop(@Param('id') id: string, @Query('force', new ParseBoolPipe({ optional: true })) force?: boolean): ServerActionResultDto {
    return this.operator.stop(id, force ?? false);
  }

  @Post('reconcile')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Run a reconcile pass now; answers once it has run, with the last decision that did something' })
  @ApiOkResponse({ description: 'the latest recorded decision, if any' })
  async reconcile(): Promise<{ lastDecision: unknown }> {
    return { lastDecision: (await this.operator.reconcileNow()) ?? null };
  }

  @Get('decisions')
  @ApiOperation({ summary: 'The last decisions of the policy that did something, with their inputs and reasons, oldest first' })
  @ApiOkResponse({ description: 'up to 50 decisions' })
  decisions(): { decisions: readonly unknown[] } {
    return { decisions: this.operator.decisions() };
  }
}
