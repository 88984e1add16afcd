#!/usr/bin/env node
// WARREN_REMOTE for the lab: `lab-remote.cjs HOST "COMMAND LINE"` asks the test process (LAB_REMOTE_URL) to run the
// command line inside lab host HOST, as `ssh HOST "COMMAND LINE"` would on a real host; prints its output, exits with its code.
const http = require('node:http');

const [host, command] = process.argv.slice(2);
const body = JSON.stringify({ host, command });
const request = http.request(process.env.LAB_REMOTE_URL, { method: 'POST', headers: { 'content-type': 'application/json' } }, (response) => {
  let text = '';
  response.setEncoding('utf8');
  response.on('data', (chunk) => (text += chunk));
  response.on('end', () => {
    const result = JSON.parse(text);
    process.stdout.write(result.stdout);
    process.stderr.write(result.stderr);
    process.exit(result.code);
  });
});
request.on('error', (error) => {
  process.stderr.write(`lab-remote: ${error.message}\n`);
  process.exit(255);
});
request.end(body);
