import { setupEngine } from './global-setup';

/** Global setup of the `redis-cluster` jest project. */
export default function globalSetup(): Promise<void> {
  return setupEngine('redis-cluster');
}
