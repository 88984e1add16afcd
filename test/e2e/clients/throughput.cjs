// Publish rate direct to a node against through HAProxy, in interleaved windows from ONE process: both
// connections stay open the whole time, both publish to the same quorum queue (declared on the direct
// connection, so its leader is the node HAProxy sent the other connection to), and the queue is purged before
// every window. So a window times only publishing (no Node start-up, JIT warm-up, connection or queue set-up
// inside it) and the two sides differ only by the HAProxy hop. Run inside a lab host.
// 1. Connects through HAPROXY_URL with connection_name NAME and prints "connected NAME".
// 2. Waits for CONTROL_FILE: the host HAProxy chose (the bench finds it with rabbitmqctl list_connections).
// 3. Connects to NODE_URLS[host] and runs WARMUP + PAIRS pairs of windows: COUNT persistent messages of SIZE
//    bytes with confirms, at most WINDOW unconfirmed; direct first in even pairs, HAProxy first in odd ones.
// Writes RESULT_FILE: { host, windows: [{ pair, side, ms, perSecond, warmup }] } (ms from performance.now()).
'use strict';
const { existsSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const amqp = require('amqplib');

const env = process.env;
const count = Number(env.COUNT ?? 2000);
const window = Number(env.WINDOW ?? 256);
const pairs = Number(env.PAIRS ?? 30);
const warmup = Number(env.WARMUP ?? 3);
const body = Buffer.alloc(Number(env.SIZE ?? 1024), 120);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function open(url, name) {
  const connection = await amqp.connect(url, { clientProperties: { connection_name: name } });
  const channel = await connection.createConfirmChannel();
  return { connection, channel };
}

async function controlHost() {
  for (let i = 0; i < 1200; i++) {
    if (existsSync(env.CONTROL_FILE)) return readFileSync(env.CONTROL_FILE, 'utf8').trim();
    await sleep(50);
  }
  throw new Error(`no host in ${env.CONTROL_FILE} within 60 s`);
}

function timeWindow(channel, queue) {
  let sent = 0;
  let confirmed = 0;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const pump = () => {
      while (sent < count && sent - confirmed < window) {
        sent++;
        channel.publish('', queue, body, { persistent: true }, (error) => {
          if (error) return reject(error);
          confirmed++;
          if (confirmed === count) resolve(performance.now() - started);
          else pump();
        });
      }
    };
    pump();
  });
}

async function main() {
  const viaHaproxy = await open(env.HAPROXY_URL, env.NAME);
  console.log(`connected ${env.NAME}`);
  const host = await controlHost();
  const urls = JSON.parse(env.NODE_URLS);
  if (!urls[host]) throw new Error(`CONTROL_FILE names ${host}, not one of ${Object.keys(urls).join(', ')}`);
  const direct = await open(urls[host], `${env.NAME}-direct`);
  await direct.channel.assertQueue(env.QUEUE, { durable: true, arguments: { 'x-queue-type': 'quorum', 'x-queue-leader-locator': 'client-local' } });
  const channels = { direct: direct.channel, haproxy: viaHaproxy.channel };
  const windows = [];
  for (let pair = 0; pair < warmup + pairs; pair++) {
    const order = pair % 2 === 0 ? ['direct', 'haproxy'] : ['haproxy', 'direct'];
    for (const side of order) {
      await direct.channel.purgeQueue(env.QUEUE);
      const ms = await timeWindow(channels[side], env.QUEUE);
      windows.push({ pair, side, ms: Math.round(ms * 100) / 100, perSecond: Math.round((count / ms) * 1000), warmup: pair < warmup });
    }
  }
  await direct.channel.deleteQueue(env.QUEUE);
  await Promise.all([direct.connection.close(), viaHaproxy.connection.close()]);
  writeFileSync(`${env.RESULT_FILE}.part`, JSON.stringify({ host, windows }));
  renameSync(`${env.RESULT_FILE}.part`, env.RESULT_FILE);
}

main().catch((error) => {
  console.error(error.stack);
  process.exit(1);
});
