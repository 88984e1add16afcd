// AMQP over TLS through the load balancer: publish with confirms to a quorum queue, consume everything back,
// and report the certificate the server presented. Parameters come from the environment; prints one JSON line.
const { readFileSync } = require('node:fs');
const amqp = require('amqplib');

async function main() {
  const { AMQPS_URL, CA_FILE, SERVER_NAME, QUEUE, COUNT } = process.env;
  const count = Number(COUNT);
  const connection = await amqp.connect(AMQPS_URL, { ca: [readFileSync(CA_FILE)], servername: SERVER_NAME, timeout: 10000 });
  const socket = connection.connection.stream;
  const peer = socket.getPeerCertificate();
  const channel = await connection.createConfirmChannel();
  await channel.assertQueue(QUEUE, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  for (let i = 0; i < count; i++) channel.sendToQueue(QUEUE, Buffer.from(`message ${i}`), { persistent: true });
  await channel.waitForConfirms();
  const received = [];
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`consumed only ${received.length} of ${count}`)), 20000);
    channel.consume(QUEUE, (message) => {
      received.push(message.content.toString());
      channel.ack(message);
      if (received.length === count) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  await connection.close();
  console.log(JSON.stringify({
    authorized: socket.authorized,
    protocol: socket.getProtocol(),
    peerFingerprint256: peer.fingerprint256,
    peerSubject: peer.subject && peer.subject.CN,
    published: count,
    consumed: received.length,
    inOrder: received.every((text, i) => text === `message ${i}`),
  }));
}

main().catch((error) => {
  console.error(error && error.stack ? error.stack : String(error));
  process.exit(1);
});
