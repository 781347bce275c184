// pm2 apps of the local cluster: `npm start` runs them, `npm stop` removes them.
// Redis and ZooKeeper are included when `npm start` prepared them (data/dev-services.json),
// i.e. when REDIS_URL / ZK_HOSTS do not point at existing servers.
/* eslint-disable @typescript-eslint/no-require-imports -- pm2 loads this file as CommonJS */
const fs = require('node:fs');
const path = require('node:path');

const NODES = Number(process.env.CLUSTER_NODES || 3);
const GATEWAYS = Number(process.env.GATEWAY_INSTANCES || 2);
const servicesFile = path.join(__dirname, 'data', 'dev-services.json');
const services = fs.existsSync(servicesFile) ? JSON.parse(fs.readFileSync(servicesFile, 'utf8')) : {};
// The web console's token: ADMIN_TOKEN, or the one `npm start` keeps in data/admin-token.
const tokenFile = path.join(__dirname, 'data', 'admin-token');
const adminToken =
  process.env.ADMIN_TOKEN || (fs.existsSync(tokenFile) ? fs.readFileSync(tokenFile, 'utf8').trim() : '');

const shared = {
  REDIS_URL: process.env.REDIS_URL || services.redisUrl || 'redis://127.0.0.1:6379',
  ZK_HOSTS: process.env.ZK_HOSTS || services.zkHosts || '127.0.0.1:2181',
  LOG_PRETTY: 'false',
};

const apps = [];
for (const service of services.apps || []) {
  apps.push({
    name: service.name,
    script: service.command,
    args: service.args,
    interpreter: 'none',
    cwd: service.cwd,
    autorestart: true,
    max_restarts: 10,
  });
}
for (let i = 1; i <= NODES; i++) {
  apps.push({
    name: `chat-node-${i}`,
    script: 'dist/src/bin/node.js',
    cwd: __dirname,
    exec_mode: 'fork',
    // The node sends 'ready' once it has joined the cluster.
    wait_ready: true,
    listen_timeout: 30000,
    kill_timeout: 12000,
    env: {
      ...shared,
      NODE_ID: `node${i}`,
      WS_PORT: String(9000 + i),
      RPC_PORT: String(9100 + i),
      METRICS_PORT: String(9200 + i),
      // Without a token the console stays off (a console nobody protects is refused at start).
      ...(adminToken ? { ADMIN_PORT: String(9300 + i), ADMIN_TOKEN: adminToken } : {}),
    },
  });
}
apps.push({
  name: 'chat-gateway',
  script: 'dist/src/bin/gateway.js',
  cwd: __dirname,
  exec_mode: 'cluster',
  instances: GATEWAYS,
  wait_ready: true,
  // Each instance its own metrics port: 9280, 9281, ...
  increment_var: 'METRICS_PORT',
  env: { ...shared, GATEWAY_PORT: process.env.GATEWAY_PORT || '8080', METRICS_PORT: '9280' },
});

module.exports = { apps };
