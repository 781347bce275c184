import { ChatError } from '../core/errors';

/**
 * The one way a before hook refuses an action. The client gets exactly this
 * code, reason and message in its Error reply; any other error a hook throws
 * counts as the plugin failing, and the action goes ahead (docs/hooks.md).
 */
export class PluginRejection extends ChatError {
  constructor(code: number, reason: string, message: string) {
    super(code, reason, message);
  }
}
