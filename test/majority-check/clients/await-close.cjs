// Connects to AMQP_URL, prints {"connectedAtMs"} once open, then {"closedAtMs", "reason"} when the server closes
// the connection, and exits 0. Run inside a lab host. env: AMQP_URL.
'use strict';
const amqp = require('amqplib');

async function main() {
  const connection = await amqp.connect(process.env.AMQP_URL);
  connection.on('error', () => undefined);
  connection.on('close', (error) => {
    console.log(JSON.stringify({ closedAtMs: Date.now(), reason: error ? error.message : 'closed without an error' }));
    process.exit(0);
  });
  console.log(JSON.stringify({ connectedAtMs: Date.now() }));
}

main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
