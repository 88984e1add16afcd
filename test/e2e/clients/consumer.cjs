// Drains a queue: consumes with manual acks until the queue reports no message left and nothing arrived for
// IDLE_MS. Run inside a lab host. Writes RESULT_FILE: { received: [messageId...] } (duplicates kept).
// env: AMQP_URL, QUEUE, RESULT_FILE, IDLE_MS (default 2000), DEADLINE_MS (default 120000).
'use strict';
const { writeFileSync } = require('node:fs');
const amqp = require('amqplib');

const env = process.env;
const idleMs = Number(env.IDLE_MS ?? 2000);
const deadline = Date.now() + Number(env.DEADLINE_MS ?? 120000);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const connection = await amqp.connect(env.AMQP_URL);
  const channel = await connection.createChannel();
  await channel.assertQueue(env.QUEUE, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await channel.prefetch(500);
  const received = [];
  let lastAt = Date.now();
  await channel.consume(env.QUEUE, (message) => {
    if (message === null) return;
    received.push(message.properties.messageId);
    lastAt = Date.now();
    channel.ack(message);
  });
  for (;;) {
    await sleep(250);
    if (Date.now() > deadline) throw new Error(`queue not drained within the deadline (${received.length} received)`);
    if (Date.now() - lastAt < idleMs) continue;
    const { messageCount } = await channel.checkQueue(env.QUEUE);
    if (messageCount === 0) break;
  }
  await connection.close();
  writeFileSync(env.RESULT_FILE, JSON.stringify({ received }));
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error.stack);
    process.exit(1);
  },
);
