import type {
  DescribeInstancesCommandInput,
  DescribeInstancesCommandOutput,
  DescribeNetworkInterfacesCommandInput,
  DescribeNetworkInterfacesCommandOutput,
  Instance,
  InstanceStateName as SdkInstanceStateName,
  NetworkInterface,
  Reservation,
  RunInstancesCommandInput,
  RunInstancesCommandOutput,
  TerminateInstancesCommandInput,
  TerminateInstancesCommandOutput,
} from '@aws-sdk/client-ec2';
import { ec2ClientError } from './aws-errors';
import { ADDRESS_BLOCKS, addressIn, ENI_ID, INSTANCE_ID, newEniId, newInstanceId, newReservationId } from './aws-names';
import { instanceFilter } from './ec2-filters';
import { pageOf, Sequenced } from './paging';
import { Scheduler } from './scheduler';

/** An answer as a handler gives it; the facade adds `$metadata`. */
export type Answer<T> = Omit<T, '$metadata'>;

export type InstanceStateName = Extract<SdkInstanceStateName, 'pending' | 'running' | 'shutting-down' | 'terminated'>;

const STATE_CODES: Record<InstanceStateName, number> = { pending: 0, running: 16, 'shutting-down': 32, terminated: 48 };

export interface InstanceSnapshot {
  readonly instanceId: string;
  readonly reservationId: string;
  readonly state: InstanceStateName;
  readonly launchTemplateName?: string;
  readonly launchTime: Date;
  readonly tags: Record<string, string>;
}

interface FakeInstance extends Sequenced {
  readonly instanceId: string;
  readonly reservationId: string;
  readonly launchTemplateName?: string;
  launchTime: Date;
  readonly tags: Map<string, string>;
  readonly privateIp: string;
  /** Shown only while the instance runs: EC2 releases an instance's public address when it stops. */
  readonly publicIp: string;
  state: InstanceStateName;
  stateTransitionReason: string;
}

/** An instance's or an ENI's addresses; `publicIp` only where AWS gives one. */
export interface Addresses {
  readonly privateIp: string;
  readonly publicIp?: string;
}

/** A network interface ECS created for a Fargate task. */
interface FakeEni {
  readonly networkInterfaceId: string;
  readonly privateIp: string;
  readonly publicIp?: string;
  readonly subnetId: string;
  readonly description: string;
}

/** What ECS hears of an instance: its agent joins after launch and leaves when it terminates. */
export interface InstanceEvents {
  launched(instanceId: string): void;
  terminating(instanceId: string): void;
}

export interface FakeEc2Options {
  readonly region: string;
  readonly accountId: string;
  readonly instanceBootMs: number;
  readonly instanceTerminateMs: number;
  /** When given, RunInstances refuses other template names, as EC2 refuses unknown ones. */
  readonly launchTemplates?: readonly string[];
}

const MAX_RESULTS = { min: 5, max: 1000 };

/** The EC2 side: instances launched from a template, and the ENIs of Fargate tasks. */
export class FakeEc2 {
  private readonly instances = new Map<string, FakeInstance>();
  private readonly enis = new Map<string, FakeEni>();
  private enisCreated = 0;
  private instancesCreated = 0;
  /**
   * RunInstances by client token: the same token returns the same instances, as EC2 documents
   * for idempotent requests; the same token with other parameters is refused.
   * https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html
   */
  private readonly byClientToken = new Map<string, { readonly request: string; readonly answer: Answer<RunInstancesCommandOutput> }>();
  private seq = 0;

  constructor(
    private readonly options: FakeEc2Options,
    private readonly scheduler: Scheduler,
    private readonly events: InstanceEvents,
  ) {}

  runInstances(input: RunInstancesCommandInput): Answer<RunInstancesCommandOutput> {
    const token = input.ClientToken;
    const request = JSON.stringify({ ...input, ClientToken: undefined });
    const earlier = token === undefined ? undefined : this.byClientToken.get(token);
    if (earlier && earlier.request !== request) {
      throw ec2ClientError('IdempotentParameterMismatch', 'The client token you have provided is associated with a request that had different parameters.');
    }
    if (earlier) return { ...earlier.answer, Instances: earlier.answer.Instances?.map((i) => this.view(this.instances.get(i.InstanceId as string) as FakeInstance)) };
    const answer = this.launch(input);
    if (token !== undefined) this.byClientToken.set(token, { request, answer });
    return answer;
  }

  private launch(input: RunInstancesCommandInput): Answer<RunInstancesCommandOutput> {
    const launchTemplateName = this.launchTemplateOf(input);
    const count = launchCount(input);
    const tags = instanceTags(input);
    const reservationId = newReservationId();
    const launched = Array.from({ length: count }, () => this.addInstance(reservationId, 'pending', tags, launchTemplateName));
    for (const instance of launched) this.boot(instance);
    return { ReservationId: reservationId, OwnerId: this.options.accountId, Groups: [], Instances: launched.map((i) => this.view(i)) };
  }

  describeInstances(input: DescribeInstancesCommandInput): Answer<DescribeInstancesCommandOutput> {
    if (input.InstanceIds?.length && input.MaxResults !== undefined) {
      throw ec2ClientError('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
    }
    const max = input.MaxResults ?? Number.MAX_SAFE_INTEGER;
    if (input.MaxResults !== undefined && (max < MAX_RESULTS.min || max > MAX_RESULTS.max)) {
      throw ec2ClientError('InvalidParameterValue', `Value ( ${max} ) for parameter maxResults is invalid. Expecting a value between ${MAX_RESULTS.min} and ${MAX_RESULTS.max}.`);
    }
    const named = input.InstanceIds?.length ? this.lookUp(input.InstanceIds) : [...this.instances.values()];
    const matches = instanceFilter(input.Filters);
    const selected = named.filter((i) => matches({ instanceId: i.instanceId, stateName: i.state, tags: i.tags }));
    const page = pageOf(selected, max, input.NextToken, () => ec2ClientError('InvalidParameterValue', 'The nextToken is invalid'));
    return { Reservations: this.reservationsOf(page.items), NextToken: page.nextToken };
  }

  terminateInstances(input: TerminateInstancesCommandInput): Answer<TerminateInstancesCommandOutput> {
    const instances = this.lookUp(input.InstanceIds ?? []);
    return {
      TerminatingInstances: instances.map((instance) => {
        const previous = instance.state;
        this.terminate(instance);
        return { InstanceId: instance.instanceId, PreviousState: stateOf(previous), CurrentState: stateOf(instance.state) };
      }),
    };
  }

  describeNetworkInterfaces(input: DescribeNetworkInterfacesCommandInput): Answer<DescribeNetworkInterfacesCommandOutput> {
    if (input.Filters?.length) throw ec2ClientError('InvalidParameterValue', 'FakeAws supports DescribeNetworkInterfaces by NetworkInterfaceIds only');
    const ids = input.NetworkInterfaceIds ?? [...this.enis.keys()];
    for (const id of ids) if (!ENI_ID.test(id)) throw ec2ClientError('InvalidNetworkInterfaceID.Malformed', `Invalid id: "${id}" (expecting "eni-...")`);
    const missing = ids.filter((id) => !this.enis.has(id));
    if (missing.length) throw ec2ClientError('InvalidNetworkInterfaceID.NotFound', `The networkInterface ID '${missing.join(', ')}' does not exist`);
    return { NetworkInterfaces: ids.map((id) => this.eniView(this.enis.get(id) as FakeEni)) };
  }

  stateOf(instanceId: string): InstanceStateName | undefined {
    return this.instances.get(instanceId)?.state;
  }

  /** The addresses DescribeInstances shows for the instance now. */
  addressesOf(instanceId: string): Addresses | undefined {
    const instance = this.instances.get(instanceId);
    if (!instance || instance.state === 'terminated') return undefined;
    return { privateIp: instance.privateIp, publicIp: hasPublicIp(instance) ? instance.publicIp : undefined };
  }

  backdate(instanceId: string, ms: number): void {
    const instance = this.instances.get(instanceId);
    if (!instance) throw new Error(`no instance ${instanceId}`);
    instance.launchTime = new Date(instance.launchTime.getTime() - ms);
  }

  /** An instance that is already running, as if launched long ago (for seeding a fleet). */
  addRunningInstance(tags: ReadonlyMap<string, string>): string {
    const instance = this.addInstance(newReservationId(), 'running', tags, undefined);
    instance.launchTime = new Date(Date.now() - 24 * 3_600_000);
    return instance.instanceId;
  }

  /**
   * Each network interface has an address of its own, as in a VPC, so that tasks in awsvpc mode
   * can all listen on the same container port; the public address, where one is assigned, is
   * another (AWS maps it to the private one, as the fake's PublicNat does).
   */
  createNetworkInterface(description: string, subnetId: string, withPublicIp: boolean): { networkInterfaceId: string } & Addresses {
    const index = this.enisCreated++;
    const eni: FakeEni = {
      networkInterfaceId: newEniId(),
      privateIp: addressIn(ADDRESS_BLOCKS.eniPrivate, index),
      publicIp: withPublicIp ? addressIn(ADDRESS_BLOCKS.eniPublic, index) : undefined,
      subnetId,
      description,
    };
    this.enis.set(eni.networkInterfaceId, eni);
    return eni;
  }

  deleteNetworkInterface(networkInterfaceId: string): void {
    this.enis.delete(networkInterfaceId);
  }

  snapshots(): InstanceSnapshot[] {
    return [...this.instances.values()].map((i) => ({
      instanceId: i.instanceId,
      reservationId: i.reservationId,
      state: i.state,
      launchTemplateName: i.launchTemplateName,
      launchTime: i.launchTime,
      tags: Object.fromEntries(i.tags),
    }));
  }

  private launchTemplateOf(input: RunInstancesCommandInput): string {
    const name = input.LaunchTemplate?.LaunchTemplateName ?? input.LaunchTemplate?.LaunchTemplateId;
    if (!name) throw ec2ClientError('MissingParameter', 'The request must contain the parameter LaunchTemplate (FakeAws launches from launch templates only)');
    const known = this.options.launchTemplates;
    if (known && !known.includes(name)) {
      throw ec2ClientError('InvalidLaunchTemplateName.NotFoundException', `The specified launch template, with template name ${name}, does not exist.`);
    }
    return name;
  }

  private addInstance(reservationId: string, state: InstanceStateName, tags: ReadonlyMap<string, string>, launchTemplateName?: string): FakeInstance {
    const index = this.instancesCreated++;
    const instance: FakeInstance = {
      privateIp: addressIn(ADDRESS_BLOCKS.instancePrivate, index),
      publicIp: addressIn(ADDRESS_BLOCKS.instancePublic, index),
      seq: this.seq++,
      instanceId: newInstanceId(),
      reservationId,
      launchTemplateName,
      launchTime: new Date(),
      tags: new Map(tags),
      state,
      stateTransitionReason: '',
    };
    this.instances.set(instance.instanceId, instance);
    return instance;
  }

  private boot(instance: FakeInstance): void {
    this.scheduler.after(this.options.instanceBootMs, () => {
      if (instance.state === 'pending') instance.state = 'running';
    });
    this.events.launched(instance.instanceId);
  }

  private terminate(instance: FakeInstance): void {
    if (instance.state === 'shutting-down' || instance.state === 'terminated') return;
    instance.state = 'shutting-down';
    instance.stateTransitionReason = `User initiated (${new Date().toISOString().replace('T', ' ').slice(0, 19)} GMT)`;
    this.events.terminating(instance.instanceId);
    this.scheduler.after(this.options.instanceTerminateMs, () => (instance.state = 'terminated'));
  }

  /** Every id must exist, else the whole call fails as EC2's does. */
  private lookUp(instanceIds: readonly string[]): FakeInstance[] {
    for (const id of instanceIds) if (!INSTANCE_ID.test(id)) throw ec2ClientError('InvalidInstanceID.Malformed', `Invalid id: "${id}"`);
    const missing = instanceIds.filter((id) => !this.instances.has(id));
    if (missing.length === 1) throw ec2ClientError('InvalidInstanceID.NotFound', `The instance ID '${missing[0]}' does not exist`);
    if (missing.length > 1) throw ec2ClientError('InvalidInstanceID.NotFound', `The instance IDs '${missing.join(', ')}' do not exist`);
    return [...new Set(instanceIds)].map((id) => this.instances.get(id) as FakeInstance);
  }

  private reservationsOf(instances: readonly FakeInstance[]): Reservation[] {
    const byReservation = new Map<string, Instance[]>();
    for (const instance of instances) {
      const list = byReservation.get(instance.reservationId) ?? [];
      list.push(this.view(instance));
      byReservation.set(instance.reservationId, list);
    }
    return [...byReservation].map(([ReservationId, Instances]) => ({ ReservationId, OwnerId: this.options.accountId, Groups: [], Instances }));
  }

  private view(instance: FakeInstance): Instance {
    const gone = instance.state === 'terminated';
    return {
      InstanceId: instance.instanceId,
      ImageId: 'ami-0fa4e0f4e0f4e0f4e',
      InstanceType: 't3.small',
      LaunchTime: instance.launchTime,
      State: stateOf(instance.state),
      StateTransitionReason: instance.stateTransitionReason,
      Placement: { AvailabilityZone: `${this.options.region}a` },
      // EC2 gives the public address once the instance runs and takes both away when it is terminated.
      PrivateIpAddress: gone ? undefined : instance.privateIp,
      PublicIpAddress: hasPublicIp(instance) ? instance.publicIp : undefined,
      Tags: instance.tags.size ? [...instance.tags].map(([Key, Value]) => ({ Key, Value })) : undefined,
    };
  }

  private eniView(eni: FakeEni): NetworkInterface {
    const association = eni.publicIp ? { PublicIp: eni.publicIp, IpOwnerId: 'amazon', PublicDnsName: '' } : undefined;
    return {
      NetworkInterfaceId: eni.networkInterfaceId,
      Description: eni.description,
      InterfaceType: 'interface',
      RequesterManaged: true,
      Status: 'in-use',
      SubnetId: eni.subnetId,
      AvailabilityZone: `${this.options.region}a`,
      OwnerId: this.options.accountId,
      PrivateIpAddress: eni.privateIp,
      PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: eni.privateIp, Association: association }],
      Association: association,
    };
  }
}

function stateOf(name: InstanceStateName) {
  return { Code: STATE_CODES[name], Name: name };
}

function launchCount(input: RunInstancesCommandInput): number {
  const { MinCount: min, MaxCount: max } = input;
  if (!Number.isInteger(min) || !Number.isInteger(max) || (min as number) < 1 || (max as number) < (min as number)) {
    throw ec2ClientError('InvalidParameterValue', `MinCount (${min}) and MaxCount (${max}) must be whole numbers with 1 <= MinCount <= MaxCount`);
  }
  return max as number;
}

/** The tags of the TagSpecifications for `instance`; those for volumes and the like do not show on the instance. */
function instanceTags(input: RunInstancesCommandInput): Map<string, string> {
  const tags = new Map<string, string>();
  for (const spec of input.TagSpecifications ?? []) {
    if (spec.ResourceType !== 'instance') continue;
    for (const tag of spec.Tags ?? []) if (tag.Key) tags.set(tag.Key, tag.Value ?? '');
  }
  return tags;
}

function hasPublicIp(instance: FakeInstance): boolean {
  return instance.state === 'running' || instance.state === 'shutting-down';
}
