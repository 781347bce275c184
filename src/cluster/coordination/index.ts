export { ClusterCoordinator } from './coordinator';
export type { ClusterCoordinatorOptions } from './coordinator';
export { LeaderDuties } from './leader-duties';
export type { LeaderDuty, LeadershipSource } from './leader-duties';
export { DuplicateNodeId } from './registration';
export type {
  Clock,
  Coordinator,
  CoordinatorEvents,
  LeaderView,
  LeadershipChange,
  MembershipView,
  NodeDescriptor,
  ZkClientFactory,
} from './types';
