// Publishes COUNT persistent messages with confirms to QUEUE through the default exchange, without declaring it
// (the definitions declared it, with its TTL and dead-letter target). Run inside a lab host. env: AMQP_URL, QUEUE, COUNT.
'use strict';
const amqp = require('amqplib');

async function main() {
  const connection = await amqp.connect(process.env.AMQP_URL);
  const channel = await connection.createConfirmChannel();
  for (let i = 0; i < Number(process.env.COUNT ?? 1); i++) {
    channel.publish('', process.env.QUEUE, Buffer.from(`dead-letter ${i}`), { persistent: true });
  }
  await channel.waitForConfirms();
  await connection.close();
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
