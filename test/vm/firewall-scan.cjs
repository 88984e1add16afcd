// TCP connect scan from inside a lab host: prints {"open": [...], "refused": [...]} for TARGET; every other port
// of the list neither accepted nor refused within TIMEOUT_MS (dropped by a firewall).
// env: TARGET (address), PORTS ("1-65535" or "22,5672,..."), TIMEOUT_MS, CONCURRENCY.
'use strict';
const net = require('node:net');

const target = process.env.TARGET;
const timeoutMs = Number(process.env.TIMEOUT_MS ?? 300);
const concurrency = Number(process.env.CONCURRENCY ?? 500);
const ports = (process.env.PORTS ?? '1-65535').split(',').flatMap((part) => {
  const [first, last] = part.split('-').map(Number);
  return last === undefined ? [first] : Array.from({ length: last - first + 1 }, (_, i) => first + i);
});
const open = [];
const refused = [];

function probe(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: target, port });
    const done = (outcome) => {
      socket.destroy();
      if (outcome === 'open') open.push(port);
      if (outcome === 'refused') refused.push(port);
      resolve();
    };
    socket.setTimeout(timeoutMs, () => done('dropped'));
    socket.once('connect', () => done('open'));
    socket.once('error', (error) => done(error.code === 'ECONNREFUSED' ? 'refused' : 'dropped'));
  });
}

(async () => {
  let next = 0;
  const worker = async () => {
    while (next < ports.length) await probe(ports[next++]);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const sorted = (list) => list.sort((a, b) => a - b);
  process.stdout.write(JSON.stringify({ open: sorted(open), refused: sorted(refused) }));
})();
