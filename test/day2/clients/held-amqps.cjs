// One AMQP-over-TLS connection held across a certificate rotation: publishes a confirmed message, prints the serial of
// the certificate the node presented, waits until the file GO_FILE exists, then publishes a confirmed message on the
// same connection and channel and prints the serial again (the socket's, which a new handshake would change).
// Parameters come from the environment; prints one JSON line per step.
const { existsSync, readFileSync } = require('node:fs');
const amqp = require('amqplib');

async function publishConfirmed(channel, queue, text) {
  channel.sendToQueue(queue, Buffer.from(text), { persistent: true });
  await channel.waitForConfirms();
}

async function main() {
  const { AMQPS_URL, CA_FILE, SERVER_NAME, QUEUE, GO_FILE } = process.env;
  const connection = await amqp.connect(AMQPS_URL, { ca: [readFileSync(CA_FILE)], servername: SERVER_NAME, timeout: 10000 });
  let closed = '';
  connection.on('close', (error) => (closed = String(error || 'closed')));
  const socket = connection.connection.stream;
  const serial = () => socket.getPeerCertificate().serialNumber;
  const channel = await connection.createConfirmChannel();
  await channel.assertQueue(QUEUE, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await publishConfirmed(channel, QUEUE, 'before rotation');
  console.log(JSON.stringify({ event: 'open', serial: serial(), localPort: socket.localPort }));
  while (!existsSync(GO_FILE)) await new Promise((resolve) => setTimeout(resolve, 100));
  await publishConfirmed(channel, QUEUE, 'after rotation');
  console.log(JSON.stringify({ event: 'after', serial: serial(), localPort: socket.localPort, closed }));
  await connection.close();
}

main().catch((error) => {
  console.error(error && error.stack ? error.stack : String(error));
  process.exit(1);
});
