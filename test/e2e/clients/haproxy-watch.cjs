// Polls HAProxy's stats CSV every 100 ms and prints one JSON line per status change of a server of the
// `amqp` listener: {"atMs": <epoch ms>, "server": "rabbit-2", "status": "DOWN"}. Run inside a lab host.
// env: STATS_URL (e.g. http://127.0.0.1:8404/;csv), STATS_USER, STATS_PASSWORD.
'use strict';
const http = require('node:http');

const auth = Buffer.from(`${process.env.STATS_USER}:${process.env.STATS_PASSWORD}`).toString('base64');
const agent = new http.Agent({ keepAlive: true });
const last = new Map();

function poll() {
  const request = http.get(process.env.STATS_URL, { agent, headers: { Authorization: `Basic ${auth}` }, timeout: 1000 }, (response) => {
    let body = '';
    response.setEncoding('utf8');
    response.on('data', (chunk) => (body += chunk));
    response.on('end', () => {
      const atMs = Date.now();
      const lines = body.split('\n');
      const header = (lines[0] ?? '').replace(/^# /, '').split(',');
      const statusAt = header.indexOf('status');
      for (const line of lines.slice(1)) {
        const fields = line.split(',');
        if (fields[0] !== 'amqp' || fields[1] === 'FRONTEND' || fields[1] === 'BACKEND' || fields.length < statusAt) continue;
        const status = fields[statusAt].split(' ')[0];
        if (last.get(fields[1]) !== status) {
          last.set(fields[1], status);
          console.log(JSON.stringify({ atMs, server: fields[1], status }));
        }
      }
      setTimeout(poll, 100);
    });
  });
  request.on('error', () => setTimeout(poll, 100));
  request.on('timeout', () => request.destroy());
}

poll();
