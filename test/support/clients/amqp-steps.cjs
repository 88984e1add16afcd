// A plain AMQP 0-9-1 client for real-broker tests, run inside a lab host (the test process has no route
// into the lab). AMQP_URL says where; STEPS is a JSON list of steps, run in order; prints one JSON line
// with each step's result. Steps:
//   { op: 'publish', exchange, routingKey, count?, headers?, expiration? }  -> number confirmed
//   { op: 'take', queue, rejectKeys?, quietMs? }  -> [{ key, body, death? }]: consumes until the queue is quiet
//     for quietMs (default 1000), rejecting without requeue the messages whose routing key is in rejectKeys
//   { op: 'declare', queue, arguments }  -> { messageCount }
//   { op: 'wait', ms }
const amqp = require('amqplib');

async function take(channel, { queue, rejectKeys = [], quietMs = 1000 }) {
  const found = [];
  await channel.prefetch(1000);
  let last = Date.now();
  const { consumerTag } = await channel.consume(queue, (message) => {
    if (!message) return;
    last = Date.now();
    const deaths = message.properties.headers && message.properties.headers['x-death'];
    const key = message.fields.routingKey;
    found.push({ key, body: message.content.toString(), ...(deaths && { death: { reason: deaths[0].reason, queue: deaths[0].queue } }) });
    if (rejectKeys.includes(key)) channel.nack(message, false, false);
    else channel.ack(message);
  });
  while (Date.now() - last < quietMs) await new Promise((resolve) => setTimeout(resolve, 100));
  await channel.cancel(consumerTag);
  return found;
}

async function main() {
  const steps = JSON.parse(process.env.STEPS);
  const connection = await amqp.connect(process.env.AMQP_URL, { timeout: 10000 });
  const channel = await connection.createConfirmChannel();
  const results = [];
  for (const step of steps) {
    switch (step.op) {
      case 'publish': {
        const count = step.count ?? 1;
        for (let i = 0; i < count; i++) {
          channel.publish(step.exchange, step.routingKey, Buffer.from(`${step.routingKey} ${i}`), {
            persistent: true,
            ...(step.headers && { headers: step.headers }),
            ...(step.expiration && { expiration: String(step.expiration) }),
          });
        }
        await channel.waitForConfirms();
        results.push(count);
        break;
      }
      case 'take':
        results.push(await take(channel, step));
        break;
      case 'declare': {
        const ok = await channel.assertQueue(step.queue, { durable: true, arguments: step.arguments });
        results.push({ messageCount: ok.messageCount });
        break;
      }
      case 'wait':
        await new Promise((resolve) => setTimeout(resolve, step.ms));
        results.push(null);
        break;
      default:
        throw new Error(`unknown step ${JSON.stringify(step)}`);
    }
  }
  await connection.close();
  console.log(JSON.stringify(results));
}

main().catch((error) => {
  console.error(error && error.stack ? error.stack : String(error));
  process.exit(1);
});
