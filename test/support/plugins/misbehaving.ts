import type { ChatPlugin } from '../../../src/plugins/types';

/**
 * A plugin that fails in every way a real one might: its before hook throws,
 * one after hook throws and another never settles. Delivery must not notice.
 */
export const plugin: ChatPlugin = {
  name: 'misbehaving',
  priority: 10,
  beforeMessage() {
    throw new Error('bug in a before hook');
  },
  afterMessageStored() {
    throw new Error('bug in an after hook');
  },
  afterMessageDelivered() {
    return new Promise<never>(() => undefined);
  },
};
