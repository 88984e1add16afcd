// Publishes persistent messages with publisher confirms to a quorum queue, one at a time, reconnecting after
// every failure. Run inside a lab host. Writes RESULT_FILE: { confirmed: [[id, confirmedAtMs]], failures, connects }.
// Stops after COUNT confirms, after DURATION_MS, or on SIGTERM (and then still writes RESULT_FILE).
// env: AMQP_URL, QUEUE, RESULT_FILE, ID_PREFIX, optional COUNT and DURATION_MS;
// INTERVAL_MS (pause between messages, default 0), CONNECT_DEADLINE_MS (give up, exit 2, default 60000).
'use strict';
const { renameSync, writeFileSync } = require('node:fs');
const amqp = require('amqplib');

const env = process.env;
const url = env.AMQP_URL;
const queue = env.QUEUE;
const count = env.COUNT ? Number(env.COUNT) : Infinity;
const stopAt = env.DURATION_MS ? Date.now() + Number(env.DURATION_MS) : Infinity;
const intervalMs = Number(env.INTERVAL_MS ?? 0);
const connectDeadlineMs = Number(env.CONNECT_DEADLINE_MS ?? 60000);
const confirmTimeoutMs = 15000;
const result = { confirmed: [], failures: [], connects: [] };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let stopRequested = false;
process.on('SIGTERM', () => (stopRequested = true));

async function open() {
  const giveUpAt = Date.now() + connectDeadlineMs;
  for (;;) {
    try {
      const connection = await amqp.connect(url, { clientProperties: { connection_name: env.ID_PREFIX } });
      const lost = new Promise((_, reject) => {
        connection.on('close', () => reject(new Error('connection closed')));
        connection.on('error', () => undefined);
      });
      lost.catch(() => undefined);
      const channel = await connection.createConfirmChannel();
      channel.on('error', () => undefined);
      await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
      result.connects.push(Date.now());
      return { connection, channel, lost };
    } catch (error) {
      result.failures.push([Date.now(), `connect: ${error.message}`]);
      if (Date.now() > giveUpAt || stopRequested) return undefined;
      await sleep(100);
    }
  }
}

function publish(session, id) {
  const confirmed = new Promise((resolve, reject) => {
    session.channel.publish('', queue, Buffer.from(id), { persistent: true, messageId: id }, (error) => (error ? reject(error) : resolve()));
  });
  const timeout = sleep(confirmTimeoutMs).then(() => Promise.reject(new Error('no confirm within 15 s')));
  return Promise.race([confirmed, session.lost, timeout]);
}

async function main() {
  let session;
  let seq = 0;
  while (result.confirmed.length < count && Date.now() < stopAt && !stopRequested) {
    if (session === undefined) {
      session = await open();
      if (session === undefined) return finish(stopRequested ? 0 : 2);
    }
    const id = `${env.ID_PREFIX}-${seq++}`;
    try {
      await publish(session, id);
      result.confirmed.push([id, Date.now()]);
    } catch (error) {
      result.failures.push([Date.now(), `publish ${id}: ${error.message}`]);
      const old = session;
      session = undefined;
      old.connection.close().catch(() => undefined);
    }
    if (intervalMs > 0) await sleep(intervalMs);
  }
  if (session) await session.connection.close().catch(() => undefined);
  finish(0);
}

function finish(code) {
  // Written whole, then renamed: a reader never sees half a file.
  writeFileSync(`${env.RESULT_FILE}.part`, JSON.stringify(result));
  renameSync(`${env.RESULT_FILE}.part`, env.RESULT_FILE);
  process.exit(code);
}

main().catch((error) => {
  result.failures.push([Date.now(), `fatal: ${error.stack}`]);
  finish(3);
});
