// Publishes COUNT persistent messages of SIZE bytes with publisher confirms, at most WINDOW unconfirmed at a
// time, to a fresh quorum queue declared on this connection (so its leader is the connected node), then
// deletes the queue. Prints {"messages": n, "ms": elapsed, "perSecond": rate}. Run inside a lab host.
// env: AMQP_URL, QUEUE, COUNT (default 20000), SIZE (default 1024), WINDOW (default 256).
'use strict';
const amqp = require('amqplib');

const env = process.env;
const count = Number(env.COUNT ?? 20000);
const window = Number(env.WINDOW ?? 256);
const body = Buffer.alloc(Number(env.SIZE ?? 1024), 120);

async function main() {
  const connection = await amqp.connect(env.AMQP_URL);
  const channel = await connection.createConfirmChannel();
  await channel.assertQueue(env.QUEUE, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  let sent = 0;
  let confirmed = 0;
  const started = Date.now();
  await new Promise((resolve, reject) => {
    const pump = () => {
      while (sent < count && sent - confirmed < window) {
        sent++;
        channel.publish('', env.QUEUE, body, { persistent: true }, (error) => {
          if (error) return reject(error);
          confirmed++;
          if (confirmed === count) resolve();
          else pump();
        });
      }
    };
    pump();
  });
  const ms = Date.now() - started;
  await channel.deleteQueue(env.QUEUE);
  await connection.close();
  console.log(JSON.stringify({ messages: count, ms, perSecond: Math.round((count / ms) * 1000) }));
}

main().catch((error) => {
  console.error(error.stack);
  process.exit(1);
});
