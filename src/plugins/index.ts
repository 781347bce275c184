/**
 * Business-event hooks: plugins loaded at start-up (PLUGINS, PLUGINS_CONFIG)
 * and the runner the chat services call. docs/hooks.md is the guide.
 */
export { HookRunner } from './hook-runner';
export type { HookRunnerOptions, PluginCounters } from './hook-runner';
export { PluginRejection } from './rejection';
export { loadPlugins, checkPlugin, pluginKeyOf, PluginLoadError } from './loader';
export type { PluginSpec, LoadPluginsOptions } from './loader';
export { parsePluginEnv, pluginSpecs } from './specs';
export { registerHookMetrics } from './metrics';
export { AFTER_HOOKS, HOOK_NAMES, DEFAULT_PRIORITY } from './types';
export type {
  AfterEvent,
  AfterEventType,
  ChatPlugin,
  JoinRequest,
  MessageDelivered,
  MessageDraft,
  PluginContext,
  RoomMembership,
  SenderInfo,
  UserPresence,
} from './types';
