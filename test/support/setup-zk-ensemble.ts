import { setupEngine } from './global-setup';

/** Global setup of the `zk-ensemble` jest project. */
export default function globalSetup(): Promise<void> {
  return setupEngine('zk-ensemble');
}
