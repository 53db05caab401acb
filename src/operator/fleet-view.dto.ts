import { MARGIN_MODES, MarginMode } from '../config/settings';
import type { TuningChange } from '../scaling/policy-tuning';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { SERVER_STATES, ServerState } from '../domain/server-state';
import { REFUSED_ACTIONS, RefusedAction } from '../fleet/game-server';

export class PlatformRefusalDto {
  @ApiProperty({ enum: REFUSED_ACTIONS }) action!: RefusedAction;
  @ApiProperty({ example: '2026-12-02T10:15:00.000Z' }) at!: string;
  @ApiProperty({ example: 'User is not authorized to perform: ecs:StopTask' }) error!: string;
}

export class ServerViewDto {
  @ApiProperty({ example: 'gs-3f9a1c2b7d4e' }) id!: string;
  @ApiProperty({ enum: SERVER_STATES }) state!: ServerState;
  @ApiPropertyOptional({ example: '203.0.113.10:7777', description: 'handed to game clients' }) address?: string;
  @ApiPropertyOptional({ example: '10.0.1.12:7777', description: 'probed by the manager' }) probeAddress?: string;
  @ApiProperty({ description: 'available_capacity of the last good health report' }) reportedCapacity!: number;
  @ApiProperty({ description: 'places handed out that the report does not show taken yet' }) reserved!: number;
  @ApiProperty({ description: 'places a player can take now' }) free!: number;
  @ApiProperty() readyToClose!: boolean;
  @ApiProperty() consecutiveFailures!: number;
  @ApiProperty({ description: 'seconds since this manager started tracking the server' }) ageSeconds!: number;
  @ApiPropertyOptional({ description: 'seconds since it began draining' }) drainingSeconds?: number;
  @ApiPropertyOptional({ description: 'what it runs: a task definition revision ARN, or the local command', example: 'arn:aws:ecs:ap-south-1:123456789012:task-definition/LaunchGameserver:7' })
  version?: string;
  @ApiProperty({ description: 'runs another version than launches use now; a rollout drains it' }) outdated!: boolean;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, example: { pid: '4242', port: '41234' } })
  platformIds!: Record<string, string>;
  @ApiPropertyOptional({ type: PlatformRefusalDto, description: 'the last action on it that the platform refused: the server went back to its state before' })
  lastRefusal?: PlatformRefusalDto;
}

export class FleetTotalsDto {
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' }, example: { launching: 0, ready: 2, draining: 1, unhealthy: 0, stopping: 0 } })
  serversByState!: Record<ServerState, number>;
  @ApiProperty({ description: 'free places on ready servers plus SERVER_CAPACITY per launching server' }) freeCapacity!: number;
}

export class MarginEstimateDto {
  @ApiProperty({ description: 'the margin adaptive mode holds: the growth and the noise over the horizon, at least UPSCALE_MARGIN' }) upscaleMargin!: number;
  @ApiProperty() downscaleMargin!: number;
  @ApiProperty({ description: 'the boot time counted on: the 90th percentile of the last 20 launches, or the platform prior' }) bootMs!: number;
  @ApiProperty({ description: 'the boot time and one pass' }) horizonMs!: number;
  @ApiProperty({ description: 'net growth of demand expected over the horizon (places)' }) growth!: number;
  @ApiProperty({ description: 'room for the noise of demand over the horizon (places)' }) noise!: number;
  @ApiProperty({ enum: ['configured', 'demand'] }) basis!: 'configured' | 'demand';
}

export class ScheduledFloorDto {
  @ApiProperty({ description: 'free places the windows ask for' }) freePlaces!: number;
  @ApiProperty({ description: 'servers the windows ask for' }) minServers!: number;
  @ApiProperty({ type: [String], description: 'the windows on, or starting within their lead time' }) windows!: string[];
}

export class MarginsDto {
  @ApiProperty({ description: 'UPSCALE_MARGIN' }) upscaleMargin!: number;
  @ApiProperty({ description: 'DOWNSCALE_MARGIN' }) downscaleMargin!: number;
  @ApiProperty() serverCapacity!: number;
  @ApiProperty() minServers!: number;
  @ApiProperty() maxServers!: number;
  @ApiProperty({ enum: MARGIN_MODES }) mode!: MarginMode;
  @ApiProperty({ description: 'the upscale margin the last pass held: UPSCALE_MARGIN, or the adaptive one' }) effectiveUpscaleMargin!: number;
  @ApiProperty() effectiveDownscaleMargin!: number;
  @ApiProperty({ type: MarginEstimateDto, required: false, description: 'the adaptive estimate of the last pass (in fixed mode too); absent before the first pass' })
  estimate?: MarginEstimateDto;
  @ApiProperty({ type: ScheduledFloorDto, required: false, description: 'the floor of CAPACITY_SCHEDULE, while a window is on or about to begin' })
  scheduled?: ScheduledFloorDto;
}

export class UnadoptedServerDto {
  @ApiProperty({ example: 'gs-3f9a1c2b7d4e' }) id!: string;
  @ApiProperty({ example: 'task arn:aws:ecs:...: no container gameserver in task definition ...' }) reason!: string;
}

export class ManagerViewDto {
  @ApiProperty({ enum: ['leader', 'standby'], description: 'the leader acts on the fleet and hands out places; a standby only watches, ready to take over' })
  role!: 'leader' | 'standby';
  @ApiProperty({ example: 'ip-10-0-1-12/1/3f9a1c2b', description: 'this manager: host/pid/random' }) id!: string;
  @ApiPropertyOptional({ description: 'the manager holding the lease, as last seen' }) leader?: string;
  @ApiPropertyOptional({ example: 'DynamoDB table fleet-manager-lease, item fleet=LaunchGameserver', description: 'where the lease is; absent when the manager is alone by configuration' })
  lease?: string;
  @ApiPropertyOptional({ description: 'a leader: milliseconds its lease still lets it act unless renewed' }) actingForMs?: number;
}

export class FleetViewDto {
  @ApiProperty() platform!: string;
  @ApiProperty({ type: ManagerViewDto }) manager!: ManagerViewDto;
  @ApiProperty({ type: FleetTotalsDto }) totals!: FleetTotalsDto;
  @ApiProperty({ type: MarginsDto }) margins!: MarginsDto;
  @ApiProperty({ type: [ServerViewDto] }) servers!: ServerViewDto[];
  @ApiProperty({ type: [UnadoptedServerDto], description: 'running on the platform, but without an address the manager can resolve: left alone, neither adopted nor stopped' })
  unadopted!: UnadoptedServerDto[];
}

export class ServerActionResultDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: SERVER_STATES }) state!: ServerState;
}

export class TuningViewDto {
  @ApiProperty({ type: 'object', additionalProperties: true, example: { MARGIN_MODE: 'adaptive', UPSCALE_MARGIN: 4, DOWNSCALE_MARGIN: 18, MIN_SERVERS: 1, MAX_SERVERS: 100, CAPACITY_SCHEDULE: null } })
  settings!: Record<string, string | number | null>;
  @ApiProperty({ type: 'array', items: { type: 'object' }, description: 'changes since start-up, newest last: when, and each setting from and to' })
  changes!: TuningChange[];
}
