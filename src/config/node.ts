import path from 'node:path';
import { EnvReader } from './env-reader';
import type { VariableDoc } from './env-reader';
import { readExportConfig } from './export';
import type { ExportConfig } from './export';
import { readPluginSettings } from './plugins';
import type { PluginSettings } from './plugins';
import { readEdgeAdmission, readLoginBackoff } from './edge';
import type { EdgeAdmissionConfig, LoginBackoffConfig } from './edge';
import { RECENT_FLUSH_MS } from '../core/recent-activity';
import { readAdminConsoleConfig, readMetricsConfig } from './ops';
import type { AdminConsoleConfig, MetricsConfig } from './ops';
import { readLogConfig, readRedisConfig } from './shared';
import type { LogConfig, RedisConfig } from './shared';

export const NAME_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

export interface NodeConfig {
  nodeId: string;
  ws: {
    host: string;
    port: number;
    /** What the gateway hands to clients; defaults to ws://<host>:<bound port>. */
    publicUrl: string | undefined;
    maxFrameBytes: number;
    maxTextLength: number;
    heartbeatMs: number;
    maxBufferedBytes: number;
    ratePerSecond: number;
    rateBurst: number;
    /** Rate-limit rejections within one minute before the connection is closed. */
    rateMaxStrikes: number;
    /** Commands a connection may have waiting or running; more get 429 TOO_MANY_PENDING. */
    maxPendingCommands: number;
    /** Commands of one connection that may be in flight at once (sends keep their order). */
    maxInFlightCommands: number;
    /** At shutdown, how long clients may take to get the answers to what they already sent. */
    drainMs: number;
  } & EdgeAdmissionConfig;
  rpc: { host: string; port: number; advertiseHost: string | undefined };
  tls: { caPath: string; certPath: string; keyPath: string };
  zk: { hosts: string; root: string; sessionTimeoutMs: number; auth: string | undefined };
  redis: RedisConfig;
  store: { mongoUrl: string | undefined; sqlitePath: string; commitWindowMs: number };
  scrypt: { N: number; r: number; p: number };
  login: LoginBackoffConfig & { resumeTokenTtlS: number };
  chat: {
    dirtyWordsPath: string;
    hotWordsResetMs: number;
    popularMax: number;
    /** How a direct message reaches another node: its own link, or always through the leader. */
    directRoute: 'direct' | 'leader';
    /** Operations waiting for one room's turn on the node that runs it, past which more get 503 ROOM_BUSY. */
    roomQueueMax: number;
    /** How long a direct message to another node waits for that node's confirmation of the push. */
    deliveryConfirmMs: number;
    /** How long recorded messages gather before one push to their Redis recent lists (0: end of turn). */
    recentFlushMs: number;
    /** Which node runs each room and channel: its owner among the members, or always the leader. */
    roomOwnership: 'spread' | 'leader';
  };
  plugins: PluginSettings;
  /** Undefined when export is off (EXPORT_SINK=off). */
  export: ExportConfig | undefined;
  metrics: MetricsConfig;
  admin: AdminConsoleConfig;
  log: LogConfig;
}

export function readNodeConfig(env: NodeJS.ProcessEnv | Record<string, string | undefined>): {
  config: NodeConfig;
  variables: VariableDoc[];
  finish: () => void;
} {
  const v = new EnvReader(env);
  const nodeId = v.string(
    'NODE_ID',
    'node1',
    'This node\'s id in the cluster (letters, digits, "-", "_"); must be unique and match its certificate.',
    NAME_PATTERN,
  );
  const certsDir = v.string('CERTS_DIR', 'certs', 'Folder of the dev certificates made by `npm run certs`.');
  const config: NodeConfig = {
    nodeId,
    ws: {
      host: v.string(
        'WS_HOST',
        '127.0.0.1',
        'Address of the client WebSocket server (0.0.0.0 for all interfaces).',
      ),
      port: v.port('WS_PORT', 0, 'Port of the client WebSocket server; 0 picks a free one.'),
      publicUrl: v.optional(
        'WS_PUBLIC_URL',
        'URL the gateway hands to clients, when clients reach the node through another address.',
      ),
      maxFrameBytes: v.int(
        'WS_MAX_FRAME_BYTES',
        16384,
        'Largest WebSocket message accepted; larger ones close the connection (1009).',
        256,
      ),
      maxTextLength: v.int('MAX_TEXT_LENGTH', 1000, 'Longest chat text in characters.', 1, 100000),
      heartbeatMs: v.int(
        'WS_HEARTBEAT_MS',
        15000,
        'Ping interval; a client that missed the previous ping is dropped.',
        100,
      ),
      maxBufferedBytes: v.int(
        'WS_MAX_BUFFERED_BYTES',
        1048576,
        'A client whose unsent data passes this is a slow consumer and is disconnected.',
        1024,
      ),
      ratePerSecond: v.int(
        'RATE_LIMIT_PER_SEC',
        20,
        'Commands per second a connection may send on average (token bucket refill).',
        1,
      ),
      rateBurst: v.int(
        'RATE_LIMIT_BURST',
        40,
        'Commands a connection may send in a burst (token bucket size).',
        1,
      ),
      rateMaxStrikes: v.int(
        'RATE_LIMIT_MAX_STRIKES',
        50,
        'Refused frames (rate limit, undecodable, queue full) within a minute before the connection is closed.',
        1,
      ),
      maxPendingCommands: v.int(
        'WS_MAX_PENDING',
        64,
        'Commands one connection may have waiting or running; more are answered 429 TOO_MANY_PENDING.',
        1,
        100000,
      ),
      drainMs: v.int(
        'SHUTDOWN_DRAIN_MS',
        5000,
        'At shutdown, how long clients get the answers to commands they already sent before they are told (4003) to reconnect elsewhere.',
        0,
        60000,
      ),
      maxInFlightCommands: v.int(
        'WS_MAX_IN_FLIGHT',
        16,
        "Commands of one connection that may be in flight at once, so a client need not wait a round trip per message; one sender's messages keep their order.",
        1,
        100000,
      ),
      ...readEdgeAdmission(v),
    },
    rpc: {
      host: v.string(
        'RPC_HOST',
        '127.0.0.1',
        'Internal gRPC address (mTLS only); keep it on an internal network.',
      ),
      port: v.port('RPC_PORT', 0, 'Internal gRPC port; 0 picks a free one.'),
      advertiseHost: v.optional(
        'RPC_ADVERTISE_HOST',
        'Address peers dial, when it differs from RPC_HOST (e.g. RPC_HOST=0.0.0.0).',
      ),
    },
    tls: {
      caPath: v.string('TLS_CA', path.join(certsDir, 'ca.crt'), 'Cluster CA certificate (PEM).'),
      certPath: v.string(
        'TLS_CERT',
        path.join(certsDir, `${nodeId}.crt`),
        "This node's certificate (PEM), CN = NODE_ID.",
      ),
      keyPath: v.string('TLS_KEY', path.join(certsDir, `${nodeId}.key`), "This node's private key (PEM)."),
    },
    zk: {
      hosts: v.string(
        'ZK_HOSTS',
        '127.0.0.1:2181',
        'ZooKeeper connection string; list several servers of an ensemble separated by commas.',
      ),
      root: v.string(
        'ZK_ROOT',
        '/chat',
        'ZooKeeper path under which this cluster registers.',
        /^\/[A-Za-z0-9_\-/]*[A-Za-z0-9_-]$/,
      ),
      sessionTimeoutMs: v.int(
        'ZK_SESSION_TIMEOUT_MS',
        6000,
        'ZooKeeper session timeout; a dead leader is replaced after about this long.',
        1000,
        60000,
      ),
      auth: v.optional(
        'ZK_AUTH',
        "ZooKeeper digest credentials user:password; the cluster's znodes are then readable and writable by that user only.",
      ),
    },
    redis: readRedisConfig(v),
    store: {
      mongoUrl: v.optional(
        'MONGO_URL',
        'MongoDB connection string; when set, MongoDB is the store instead of SQLite.',
      ),
      sqlitePath: v.string(
        'SQLITE_PATH',
        path.join('data', 'chat.db'),
        'SQLite database file (shared by the processes of one machine).',
      ),
      commitWindowMs: v.int(
        'STORE_COMMIT_WINDOW_MS',
        1,
        'The least time between two store commits of a node: the writes of every connection in between commit together. 0 commits the writes of each event-loop turn together; an idle node always commits at once.',
        0,
        100,
      ),
    },
    scrypt: {
      N: v.int('SCRYPT_N', 131072, 'scrypt cost for new password hashes (power of two; OWASP: 2^17).', 2),
      r: v.int('SCRYPT_R', 8, 'scrypt block size.', 1),
      p: v.int('SCRYPT_P', 1, 'scrypt parallelism.', 1),
    },
    login: {
      ...readLoginBackoff(v),
      resumeTokenTtlS: v.int('RESUME_TOKEN_TTL_S', 86400, 'Lifetime of a resume token, seconds.', 1),
    },
    chat: {
      dirtyWordsPath: v.string(
        'DIRTY_WORDS_PATH',
        path.join('resources', 'dirty-words.txt'),
        'Word list of the dirty-word filter, one word per line.',
      ),
      hotWordsResetMs: v.int(
        'HOT_WORDS_RESET_MS',
        3600000,
        'How often the leader resets the hot-words leaderboard.',
        1000,
      ),
      popularMax: v.int('POPULAR_MAX', 50, 'Largest n accepted by the popular command.', 1, 1000),
      roomQueueMax: v.int(
        'ROOM_QUEUE_MAX',
        1000,
        "Operations waiting for one room's turn on the node that runs it; past this, more are answered 503 ROOM_BUSY (the client retries).",
        1,
        1000000,
      ),
      directRoute: v.oneOf(
        'DM_ROUTE',
        'direct',
        'How a direct message reaches a user on another node: "direct" over the link between the two nodes (through the leader only while that link is down), or "leader" always through the leader.',
        ['direct', 'leader'],
      ),
      deliveryConfirmMs: v.int(
        'DELIVERY_CONFIRM_MS',
        1000,
        "How long a direct message to a user on another node waits for that node to confirm it reached the user's connection; without the confirmation the sender is told delivered: false (the message is stored and reaches the user by sync).",
        10,
        60000,
      ),
      recentFlushMs: v.int(
        'RECENT_FLUSH_MS',
        RECENT_FLUSH_MS,
        'How long a node gathers new messages before pushing them to their Redis recent-history lists in one call. Nothing waits for the push: acknowledgements and sync rely on the store, and history reads the store for what a list lacks.',
        0,
        1000,
      ),
      roomOwnership: v.oneOf(
        'ROOM_OWNERSHIP',
        'spread',
        'Which node runs each room and channel: "spread" over the nodes (each room on its owner by rendezvous hashing over the ZooKeeper membership), or "leader" every room on the leader (the original design; kept for comparison).',
        ['spread', 'leader'],
      ),
    },
    plugins: readPluginSettings(v),
    export: undefined,
    metrics: readMetricsConfig(v),
    admin: readAdminConsoleConfig(v),
    log: readLogConfig(v),
  };
  config.export = readExportConfig(v);
  return { config, variables: v.variables, finish: () => v.finish() };
}

/** Reads and validates; throws a ConfigError naming every bad variable. */
export function loadNodeConfig(env: NodeJS.ProcessEnv | Record<string, string | undefined>): NodeConfig {
  const { config, finish } = readNodeConfig(env);
  finish();
  return config;
}
