import type { ChatPlugin } from '../plugins/types';
import type { ExportPublisher } from './publisher';
import { messageRecord, sessionRecord } from './records';

/**
 * Export as a plugin: stored messages and logins/logouts become export
 * records. Register it with the HookRunner next to the loaded plugins; each
 * message is stored by exactly one node, so it is exported once.
 */
export function exportPlugin(publisher: ExportPublisher, options: { nodeId: string }): ChatPlugin {
  const { nodeId } = options;
  return {
    name: 'export',
    // After the business plugins: an export that fails never holds them up anyway (publish is O(1)).
    priority: 1000,
    afterMessageStored(message) {
      publisher.publish(messageRecord(message, nodeId));
    },
    afterUserOnline(event) {
      publisher.publish(sessionRecord(true, event, event.nodeId));
    },
    afterUserOffline(event) {
      publisher.publish(sessionRecord(false, event, event.nodeId));
    },
    close() {
      return publisher.close();
    },
  };
}
