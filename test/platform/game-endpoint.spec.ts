import type { Container, ContainerDefinition, Task, TaskDefinition } from '@aws-sdk/client-ecs';
import { GameContainerChoice, GamePort, gamePortOf } from '../../src/platform/ecs/game-endpoint';

const definition = (networkMode: TaskDefinition['networkMode'], containers: ContainerDefinition[]): TaskDefinition => ({
  taskDefinitionArn: 'arn:aws:ecs:ap-south-1:123456789012:task-definition/LaunchGameserver:3',
  networkMode,
  containerDefinitions: containers,
});
const container = (name: string, ports: number[], essential = true): ContainerDefinition => ({
  name,
  essential,
  portMappings: ports.map((containerPort) => ({ containerPort })),
});
const task = (...containers: Container[]): Task => ({ taskArn: 'arn:aws:ecs:ap-south-1:123456789012:task/default/0123', containers });
const bound = (name: string, ...bindings: [containerPort: number, hostPort: number][]): Container => ({
  name,
  networkBindings: bindings.map(([containerPort, hostPort]) => ({ containerPort, hostPort, protocol: 'tcp' })),
});

describe('gamePortOf: the game server port, by network mode, as ECS reports it', () => {
  it.each<{ name: string; task: Task; definition: TaskDefinition; choice?: GameContainerChoice; expected: GamePort | RegExp }>([
    {
      name: 'awsvpc: no networkBindings (as ECS reports them); the container port of the definition',
      task: task({ name: 'game', networkBindings: [] }),
      definition: definition('awsvpc', [container('game', [7777])]),
      expected: { port: 7777 },
    },
    {
      // Its own interface on an instance: the manager would pair the port with the instance's address, probe nothing, and stop it as failing.
      name: 'awsvpc on an EC2 container instance (not supported): cannot be resolved, so it is left alone',
      task: { ...task({ name: 'game', networkBindings: [] }), launchType: 'EC2', containerInstanceArn: 'arn:aws:ecs:ap-south-1:123456789012:container-instance/default/abc' },
      definition: definition('awsvpc', [container('game', [7777])]),
      expected: /awsvpc networking on an EC2 container instance is not supported/,
    },
    {
      name: 'awsvpc: ECS_CONTAINER_PORT wins over the mapping',
      task: task({ name: 'game' }),
      definition: definition('awsvpc', [container('game', [7777])]),
      choice: { containerPort: 9000 },
      expected: { port: 9000 },
    },
    {
      name: 'awsvpc: a container that maps no port, and no ECS_CONTAINER_PORT, cannot be resolved',
      task: task({ name: 'game' }),
      definition: definition('awsvpc', [container('game', [])]),
      choice: { containerName: 'game' },
      expected: /maps no port .*set ECS_CONTAINER_PORT/,
    },
    {
      name: 'bridge: the dynamic host port of the game container',
      task: task(bound('game', [8000, 32768])),
      definition: definition('bridge', [container('game', [8000])]),
      expected: { port: 32768 },
    },
    {
      name: 'bridge: a sidecar with a port listed first does not count',
      task: task(bound('metrics', [9100, 32770]), bound('game', [8000, 32771])),
      definition: definition('bridge', [container('metrics', [9100], false), container('game', [8000])]),
      expected: { port: 32771 },
    },
    {
      name: 'bridge: ECS_CONTAINER_NAME names the game container',
      task: task(bound('proxy', [80, 32780]), bound('game', [8000, 32781])),
      definition: definition('bridge', [container('proxy', [80]), container('game', [8000])]),
      choice: { containerName: 'game' },
      expected: { port: 32781 },
    },
    {
      name: 'bridge: ECS_CONTAINER_PORT picks one of several ports of the container',
      task: task(bound('game', [8000, 32790], [8001, 32791])),
      definition: definition('bridge', [container('game', [8000, 8001])]),
      choice: { containerPort: 8001 },
      expected: { port: 32791 },
    },
    {
      name: 'bridge: no binding yet (the task is still PENDING)',
      task: task({ name: 'game', networkBindings: [] }),
      definition: definition('bridge', [container('game', [8000])]),
      expected: /reports no host port for 8000 yet/,
    },
    {
      name: 'bridge: a named container that the definition does not have',
      task: task(bound('game', [8000, 32768])),
      definition: definition('bridge', [container('game', [8000])]),
      choice: { containerName: 'gameserver' },
      expected: /no container gameserver in task definition .*LaunchGameserver:3/,
    },
    {
      name: 'host: the binding maps the container port to itself',
      task: task(bound('game', [7777, 7777])),
      definition: definition('host', [container('game', [7777])]),
      expected: { port: 7777 },
    },
    {
      name: 'none: no network at all',
      task: task({ name: 'game' }),
      definition: definition('none', [container('game', [7777])]),
      expected: /networkMode none/,
    },
    {
      name: 'awsvpc: a port mapping without a container port is passed over for the next one',
      task: task({ name: 'game' }),
      definition: definition('awsvpc', [{ name: 'game', portMappings: [{ hostPort: 80 }, { containerPort: 7777 }] }]),
      expected: { port: 7777 },
    },
    {
      name: 'bridge: the named container maps no port, and no ECS_CONTAINER_PORT',
      task: task(bound('game', [8000, 32768])),
      definition: definition('bridge', [{ name: 'game' }]),
      choice: { containerName: 'game' },
      expected: /^container game maps no port in task definition .*LaunchGameserver:3$/,
    },
    {
      name: 'bridge: ECS_CONTAINER_PORT for a named container that maps none',
      task: task(bound('game', [8000, 32768])),
      definition: definition('bridge', [{ name: 'game' }]),
      choice: { containerName: 'game', containerPort: 8000 },
      expected: { port: 32768 },
    },
    {
      name: 'bridge: the task reports no containers yet',
      task: { taskArn: 'arn:aws:ecs:ap-south-1:123456789012:task/default/0123' },
      definition: definition('bridge', [container('game', [8000])]),
      expected: /reports no host port for 8000 yet/,
    },
    {
      name: 'bridge: the task reports other containers, not the game one yet',
      task: task(bound('metrics', [8000, 32770])),
      definition: definition('bridge', [container('game', [8000])]),
      expected: /reports no host port for 8000 yet/,
    },
    {
      name: 'bridge: a binding of the container port without a host port is passed over',
      task: task({ name: 'game', networkBindings: [{ containerPort: 8000 }, { containerPort: 8000, hostPort: 32768 }] }),
      definition: definition('bridge', [container('game', [8000])]),
      expected: { port: 32768 },
    },
    {
      name: 'bridge: containers whose mappings name no container port do not count as mapping one',
      task: task(bound('sidecar', [9100, 32770]), bound('game', [8000, 32771])),
      definition: definition('bridge', [{ name: 'log-router' }, { name: 'sidecar', portMappings: [{ hostPort: 9100 }] }, container('game', [8000])]),
      expected: { port: 32771 },
    },
    {
      name: 'a task definition without container definitions',
      task: task({ name: 'game' }),
      definition: { taskDefinitionArn: 'arn:aws:ecs:ap-south-1:123456789012:task-definition/LaunchGameserver:3', networkMode: 'bridge' },
      expected: /no container maps a port/,
    },
    {
      name: 'no container maps a port',
      task: task({ name: 'game' }),
      definition: definition('bridge', [container('game', [])]),
      expected: /no container maps a port/,
    },
  ])('$name', ({ task: t, definition: d, choice, expected }) => {
    const found = gamePortOf(t, d, choice ?? {});
    if (expected instanceof RegExp) expect('unresolved' in found && found.unresolved).toMatch(expected);
    else expect(found).toEqual(expected);
  });
});
