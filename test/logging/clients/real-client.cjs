// What a real client does that its broker must keep logging, run inside a lab host. AMQP_URL says where (with the
// right password); MODE is one of:
//   failed-login   connects with a wrong password, expects ACCESS_REFUSED
//   abrupt-close   logs in, then drops the TCP connection without connection.close (a crashed client)
// Prints one JSON line.
const amqp = require('amqplib');

async function main() {
  const url = process.env.AMQP_URL;
  switch (process.env.MODE) {
    case 'failed-login': {
      const wrong = new URL(url);
      wrong.password = 'not-the-password';
      try {
        await amqp.connect(wrong.toString(), { timeout: 10000 });
      } catch (error) {
        console.log(JSON.stringify({ refused: /ACCESS.REFUSED/.test(String(error.message)) }));
        return;
      }
      throw new Error('a wrong password was accepted');
    }
    case 'abrupt-close': {
      const connection = await amqp.connect(url, { timeout: 10000 });
      connection.connection.stream.destroy();
      console.log(JSON.stringify({ dropped: true }));
      // amqplib's heartbeat timer would keep the process alive.
      process.exit(0);
    }
    default:
      throw new Error(`unknown MODE ${process.env.MODE}`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
