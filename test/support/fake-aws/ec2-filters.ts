import type { Filter } from '@aws-sdk/client-ec2';
import { ec2ClientError } from './aws-errors';

/** What a DescribeInstances filter can look at. */
export interface FilterableInstance {
  readonly instanceId: string;
  readonly stateName: string;
  readonly tags: ReadonlyMap<string, string>;
}

type Predicate = (instance: FilterableInstance) => boolean;

/**
 * The DescribeInstances filters the fake knows: `tag:<key>`, `tag-key`, `instance-state-name`,
 * `instance-id`. Filters are ANDed, the values of one filter ORed, values may use `*` and `?`
 * as EC2's do. Any other filter name is refused, as EC2 refuses names it does not know.
 */
export function instanceFilter(filters: readonly Filter[] = []): Predicate {
  const predicates = filters.map(toPredicate);
  return (instance) => predicates.every((matches) => matches(instance));
}

function toPredicate(filter: Filter): Predicate {
  const name = filter.Name ?? '';
  const values = (filter.Values ?? []).map(globToRegExp);
  const anyValue = (text: string | undefined) => text !== undefined && values.some((value) => value.test(text));
  if (name.startsWith('tag:')) {
    const key = name.slice('tag:'.length);
    return (instance) => anyValue(instance.tags.get(key));
  }
  switch (name) {
    case 'tag-key':
      return (instance) => [...instance.tags.keys()].some(anyValue);
    case 'instance-state-name':
      return (instance) => anyValue(instance.stateName);
    case 'instance-id':
      return (instance) => anyValue(instance.instanceId);
    default:
      throw ec2ClientError('InvalidParameterValue', `The filter '${name}' is invalid`);
  }
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}
