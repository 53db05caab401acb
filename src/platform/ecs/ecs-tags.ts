/** Tags are the manager's only memory on ECS: a restarted manager rebuilds the fleet from them. */
export const SERVER_ID_TAG = 'fleet-manager:server-id';
export const DRAINING_TAG = 'fleet-manager:draining';
/** On EC2 instances, so that instances left without a task can be found and terminated. */
export const CLUSTER_TAG = 'fleet-manager:cluster';
/**
 * On EC2 instances: the fleet (FLEET_NAME) that launched it. Several fleets may share a cluster
 * (`default`, by default); a manager's sweep takes only instances of its own fleet.
 */
export const FLEET_TAG = 'fleet-manager:fleet';
export const STARTED_BY = 'fleet-manager';
