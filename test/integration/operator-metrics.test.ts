import path from 'node:path';
import { findFreePort } from '../../src/devservices/free-port';
import { ManagedProcess } from '../../src/devservices/managed-process';
import { waitFor } from '../../src/core/wait-for';
import { TestCluster } from '../support/cluster';
import { promtool } from '../support/promtool';

const REPO = path.resolve(__dirname, '..', '..');

async function scrape(url: string): Promise<string> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** The value of one series in a scrape, e.g. `chat_cluster_is_leader{node="n1"}`. */
function value(body: string, series: string): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/**
 * /metrics of real node processes and a real gateway process, checked by
 * Prometheus' own linter (`promtool check metrics`), and the series the
 * alerting rules in ops/prometheus/alerts.yml watch.
 */
describe('metrics of a real cluster and gateway', () => {
  let cluster: TestCluster;
  let gateway: ManagedProcess | undefined;
  const metricsUrl = new Map<string, string>();
  let gatewayMetrics = '';
  let gatewayUrl = '';

  beforeAll(async () => {
    cluster = await TestCluster.start({ name: 'operator-metrics', nodeIds: [] });
    await cluster.createUser('mona');
    await cluster.createUser('mike');
    for (const id of ['n1', 'n2']) {
      const port = await findFreePort();
      await cluster.startNode(id, { METRICS_PORT: String(port) });
      metricsUrl.set(id, `http://127.0.0.1:${port}/metrics`);
    }
    const [gatewayPort, gatewayMetricsPort] = [await findFreePort(), await findFreePort()];
    gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    gatewayMetrics = `http://127.0.0.1:${gatewayMetricsPort}/metrics`;
    gateway = ManagedProcess.spawn({
      command: process.execPath,
      args: [
        '--require',
        path.join(REPO, 'test/support/swc-register.js'),
        path.join(REPO, 'src/bin/gateway.ts'),
      ],
      cwd: REPO,
      env: {
        ...process.env,
        REDIS_URL: cluster.env.REDIS_URL,
        REDIS_PREFIX: cluster.env.REDIS_PREFIX,
        GATEWAY_PORT: String(gatewayPort),
        METRICS_PORT: String(gatewayMetricsPort),
        LOG_LEVEL: 'warn',
      },
    });
    await waitFor(async () => (await fetch(`${gatewayUrl}/healthz`).catch(() => undefined))?.status === 200, {
      what: 'the gateway to answer /healthz',
      timeoutMs: 20_000,
    });
  });
  afterAll(async () => {
    await gateway?.stop(5000);
    await cluster?.stop();
  });

  it('serves node metrics that promtool accepts, with the series the alerts need', async () => {
    const { leaderId } = await cluster.waitForLeader();
    const follower = leaderId === 'n1' ? 'n2' : 'n1';
    const mona = await cluster.login(follower, 'mona');
    const mike = await cluster.login(leaderId, 'mike');
    await mona.sendDirect('mike', 'metered');
    await mike.waitForMessage((m) => m.text === 'metered');

    const urls = { leader: metricsUrl.get(leaderId)!, follower: metricsUrl.get(follower)! };
    const body = await waitFor(
      async () => {
        const b = await scrape(urls.follower);
        return value(b, `chat_peer_link_up{peer="${leaderId}",node="${follower}"}`) === 1 ? b : undefined;
      },
      { what: `${follower}'s link to ${leaderId} to show up in its metrics` },
    );
    expect(await promtool(['check', 'metrics'], body)).toBe('');

    const leader = await scrape(urls.leader);
    expect(await promtool(['check', 'metrics'], leader)).toBe('');
    expect(value(leader, `chat_cluster_is_leader{node="${leaderId}"}`)).toBe(1);
    expect(value(body, `chat_cluster_is_leader{node="${follower}"}`)).toBe(0);
    expect(value(body, `chat_cluster_leader_known{node="${follower}"}`)).toBe(1);
    expect(value(body, `chat_cluster_epoch{node="${follower}"}`)).toBeGreaterThan(0);
    expect(value(body, `chat_cluster_members{node="${follower}"}`)).toBe(2);
    expect(value(body, `chat_cluster_leader_changes_total{node="${follower}"}`)).toBe(0);
    expect(value(body, `chat_zookeeper_connected{node="${follower}"}`)).toBe(1);
    expect(value(body, `chat_zookeeper_session_age_seconds{node="${follower}"}`)).toBeGreaterThan(0);
    expect(value(body, `chat_ws_connections{node="${follower}"}`)).toBe(1);
    expect(value(body, `chat_ws_connections_opened_total{node="${follower}"}`)).toBe(1);
    expect(value(body, `chat_ws_slow_consumers_total{node="${follower}"}`)).toBe(0);
    expect(value(body, `chat_peer_frames_held{peer="${leaderId}",node="${follower}"}`)).toBe(0);
    expect(value(body, `chat_peer_frames_sent_total{node="${follower}"}`)).toBeGreaterThan(0);
    expect(value(body, `chat_peer_frames_received_total{node="${follower}"}`)).toBeGreaterThan(0);
    expect(value(body, `chat_peer_frames_lost_total{node="${follower}"}`)).toBe(0);
    expect(value(body, `chat_commands_total{command="sendDirect",outcome="ok",node="${follower}"}`)).toBe(1);
    // The stored DM (and the users' logins) went through the SQLite writer.
    expect(value(body, `chat_store_commit_seconds_count{node="${follower}"}`)).toBeGreaterThanOrEqual(1);
  });

  it('serves gateway metrics that promtool accepts', async () => {
    expect((await fetch(`${gatewayUrl}/servers`)).status).toBe(200);
    expect((await fetch(`${gatewayUrl}/nowhere`)).status).toBe(404);
    const body = await scrape(gatewayMetrics);
    expect(await promtool(['check', 'metrics'], body)).toBe('');
    expect(value(body, 'chat_gateway_requests_total{path="/servers",status="200"}')).toBe(1);
    expect(value(body, 'chat_gateway_requests_total{path="other",status="404"}')).toBe(1);
    expect(value(body, 'chat_gateway_nodes_available')).toBe(2);
    expect(body).toContain('chat_gateway_request_seconds_bucket{le="0.001",path="/servers"}');
  });
});
