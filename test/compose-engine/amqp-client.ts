/**
 * AMQP client run inside the engine's network namespace (where the compose project publishes its ports):
 * `publish` sends COUNT persistent messages "0".."COUNT-1" to a quorum queue on a confirm channel and waits
 * for every confirm; `consume` takes COUNT messages, acks each, and reports whether they came in order and
 * what is left. Parameters come from the environment; one JSON line on stdout.
 */
import amqp from 'amqplib';

const url = process.env.AMQP_URL!;
const queue = process.env.QUEUE!;
const count = Number(process.env.COUNT);
const mode = process.env.MODE;

async function main(): Promise<object> {
  const connection = await amqp.connect(url);
  try {
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    if (mode === 'publish') {
      let confirmed = 0;
      let nacked = 0;
      for (let i = 0; i < count; i++) {
        channel.publish('', queue, Buffer.from(String(i)), { persistent: true }, (error) => (error ? nacked++ : confirmed++));
      }
      await channel.waitForConfirms();
      return { published: count, confirmed, nacked, queued: (await channel.checkQueue(queue)).messageCount };
    }
    if (mode === 'consume') {
      await channel.prefetch(100);
      const bodies: number[] = [];
      let done: () => void = () => {};
      const all = new Promise<void>((resolve) => (done = resolve));
      const { consumerTag } = await channel.consume(queue, (message) => {
        if (!message) return;
        bodies.push(Number(message.content.toString()));
        channel.ack(message);
        if (bodies.length === count) done();
      });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`consumed ${bodies.length} of ${count} within 30 s`)), 30_000);
      });
      await Promise.race([all, timeout]).finally(() => clearTimeout(timer));
      await channel.cancel(consumerTag);
      const inOrder = bodies.every((body, i) => body === i);
      return { consumed: bodies.length, inOrder, left: (await channel.checkQueue(queue)).messageCount };
    }
    throw new Error(`MODE must be publish or consume, not "${mode}"`);
  } finally {
    await connection.close();
  }
}

main().then(
  (result) => console.log(JSON.stringify(result)),
  (error: Error) => {
    console.error(error.stack ?? String(error));
    process.exit(1);
  },
);
