import type { ChannelOptions, ServerOptions } from '@grpc/grpc-js';

/**
 * gRPC transport settings for the internal port, shared by the server and
 * every client so both ends agree.
 *
 * Keepalive: each side pings an idle connection every 5 s and gives up on it
 * when a ping stays unanswered for 3 s, so a crashed or partitioned peer is
 * noticed within about 8 s (TCP alone may take minutes). Pings are allowed
 * without active calls because a link may be quiet for long periods.
 */
export const KEEPALIVE_TIME_MS = 5_000;
export const KEEPALIVE_TIMEOUT_MS = 3_000;

/**
 * Peers send batches; a room broadcast to a big node can be large. 64 MiB
 * bounds memory per message while staying far above any sane batch.
 */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** The channel's own reconnect backoff; our link adds its own on top (capped at 2 s). */
const INITIAL_RECONNECT_BACKOFF_MS = 250;
const MAX_RECONNECT_BACKOFF_MS = 2_000;

export function clientChannelOptions(extra: ChannelOptions = {}): ChannelOptions {
  return {
    'grpc.keepalive_time_ms': KEEPALIVE_TIME_MS,
    'grpc.keepalive_timeout_ms': KEEPALIVE_TIMEOUT_MS,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.initial_reconnect_backoff_ms': INITIAL_RECONNECT_BACKOFF_MS,
    'grpc.max_reconnect_backoff_ms': MAX_RECONNECT_BACKOFF_MS,
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    ...extra,
  };
}

export function rpcServerOptions(extra: ServerOptions = {}): ServerOptions {
  return {
    'grpc.keepalive_time_ms': KEEPALIVE_TIME_MS,
    'grpc.keepalive_timeout_ms': KEEPALIVE_TIMEOUT_MS,
    'grpc.keepalive_permit_without_calls': 1,
    // Tells C-core based peers/proxies to tolerate our clients' 5 s pings
    // (below their 5 min default). grpc-js itself does not count ping strikes.
    'grpc.http2.min_ping_interval_without_data_ms': KEEPALIVE_TIME_MS - 1_000,
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    ...extra,
  };
}
