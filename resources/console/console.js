// The console page: polls /api/cluster every second, shows every member and
// derives message and connection rates from consecutive answers.
'use strict';

const POLL_MS = 1000;
const STATES = { LINK_STATE_UP: 'up', LINK_STATE_DIALLING: 'dialling', LINK_STATE_DOWN: 'down' };
/** Previous counters per node, for rates: { at, messages, opened }. */
const previous = new Map();

const $ = (id) => document.getElementById(id);

function cell(row, text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

function duration(ms) {
  if (ms === undefined || ms === null) return '–';
  const s = Math.floor(Number(ms) / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

function age(ms) {
  return ms === undefined || ms === null ? 'never' : `${(Number(ms) / 1000).toFixed(1)}s`;
}

/** Per second since the previous answer about this node; undefined for the first one. */
function rates(nodeId, at, status) {
  const now = {
    at,
    messages: Number(status.messagesTotal || 0),
    opened: Number(status.connectionsOpenedTotal || 0),
  };
  const before = previous.get(nodeId);
  previous.set(nodeId, now);
  if (!before || now.at <= before.at) return undefined;
  const seconds = (now.at - before.at) / 1000;
  return {
    messages: Math.max(0, now.messages - before.messages) / seconds,
    opened: Math.max(0, now.opened - before.opened) / seconds,
  };
}

async function post(path, body) {
  const res = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(answer.error?.message || `HTTP ${res.status}`);
  return answer;
}

function say(text, isError) {
  const out = $('action-result');
  out.textContent = text;
  out.className = isError ? 'error' : '';
}

async function drain(nodeId) {
  if (!window.confirm(`Drain ${nodeId}? Its clients move to other nodes and the process exits.`)) return;
  try {
    await post('/api/drain', { nodeId });
    say(`${nodeId} is draining.`);
  } catch (err) {
    say(`Drain failed: ${err.message}`, true);
  }
}

function render(cluster) {
  const at = Number(cluster.at);
  $('answered-by').textContent = `as seen by ${cluster.nodeId}`;
  $('leader').textContent = cluster.leaderId || 'none';
  $('epoch').textContent = String(cluster.epoch || 0);
  $('node-count').textContent = String(cluster.members.length);
  $('updated').textContent = new Date(at).toLocaleTimeString();
  const body = $('nodes');
  body.replaceChildren();
  let messages = 0;
  let opened = 0;
  let connections = 0;
  for (const member of cluster.members) {
    const status = member.status;
    const link = member.link;
    const row = document.createElement('tr');
    row.dataset.node = member.nodeId;
    const role = status ? status.role : 'unreachable';
    row.dataset.role = role;
    if (member.nodeId === cluster.leaderId) row.className = 'leader';
    cell(row, member.nodeId);
    const badge = document.createElement('span');
    badge.className = `badge ${role}`;
    badge.textContent = role;
    cell(row, '').appendChild(badge);
    if (!status) {
      cell(row, member.error || 'no answer', 'error').colSpan = 11;
    } else {
      const r = rates(member.nodeId, at, status);
      messages += r ? r.messages : 0;
      opened += r ? r.opened : 0;
      connections += Number(status.connections || 0);
      cell(row, duration(status.uptimeMs));
      cell(row, String(status.sessions || 0));
      cell(row, String(status.connections || 0));
      cell(row, r ? r.messages.toFixed(1) : '…');
      cell(row, r ? r.opened.toFixed(1) : '…');
      if (link) {
        const state = STATES[link.state] || 'down';
        cell(row, link.incomingUp ? `${state} ⇄` : state, state);
        cell(row, `${age(link.lastSentAgeMs)} / ${age(link.lastReceivedAgeMs)}`);
        cell(row, `${link.queuedFrames || 0} / ${link.heldFrames || 0}`);
      } else {
        cell(row, 'this node');
        cell(row, '');
        cell(row, `held ${status.heldFrames || 0}`);
      }
      cell(row, String(status.ownedRoomCount || 0));
      cell(row, `${status.slowConsumersTotal || 0} / ${status.rateLimitedTotal || 0}`);
      const zk = status.zookeeper;
      cell(
        row,
        zk ? `${zk.connected ? 'connected' : 'disconnected'}, ${duration(zk.sessionAgeMs)}` : '–',
        zk && !zk.connected ? 'down' : '',
      );
    }
    const button = document.createElement('button');
    button.textContent = 'Drain';
    button.dataset.drain = member.nodeId;
    button.addEventListener('click', () => void drain(member.nodeId));
    cell(row, '').appendChild(button);
    body.appendChild(row);
  }
  $('message-rate').textContent = messages.toFixed(1);
  $('connection-rate').textContent = opened.toFixed(1);
  $('connections').textContent = String(connections);
}

async function poll() {
  try {
    const res = await fetch('/api/cluster', { cache: 'no-store' });
    if (res.status === 401) {
      window.location.assign('/');
      return;
    }
    const answer = await res.json();
    if (!res.ok) throw new Error(answer.error?.message || `HTTP ${res.status}`);
    render(answer);
    $('error').hidden = true;
  } catch (err) {
    $('error').textContent = `Cannot reach this node's console: ${err.message}`;
    $('error').hidden = false;
  } finally {
    setTimeout(() => void poll(), POLL_MS);
  }
}

document.addEventListener('DOMContentLoaded', () => {
  $('kick-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const username = $('kick-user').value.trim();
    post('/api/kick', { username }).then(
      (r) => say(r.kicked ? `Kicked ${username} on ${r.nodeId}.` : `${username} is not online.`),
      (err) => say(`Kick failed: ${err.message}`, true),
    );
  });
  void poll();
});
