// emailjs (npm emailjs 5.0.3, Node 20) against each scenario: `new SMTPClient(...).sendAsync(...)`.
// Run: EMAILJS=/tmp/x/node_modules/emailjs/dist/index.js NODE_EXTRA_CA_CERTS=$CAPTURE_RUN/ca.pem \
//      node --stack-trace-limit=4 drive_emailjs.mjs [scenario...]     (CAPTURE_RUN must hold scenarios.json)
// options: host localhost, port, timeout 4000, ssl: true (ssl) | tls: true (starttls*) | neither (plain), user and
// password unless *-noauth; the capture CA is trusted through NODE_EXTRA_CA_CERTS (the booleans take Node's defaults).
// styles: message = console.error(err.message)
//         inspect = console.error(err)  (util.inspect: stack + code/smtp/previous props)
// A send not settled after 15 s is left behind and records nothing; a success records nothing.
import fs from 'fs';
import path from 'path';
import util from 'util';
import { pathToFileURL } from 'url';

const { SMTPClient } = await import(pathToFileURL(process.env.EMAILJS));
const RUN = process.env.CAPTURE_RUN || '/tmp/capture/run';
const OUT = process.env.CAPTURE_OUT || '/tmp/capture/out';
const scenarios = JSON.parse(fs.readFileSync(path.join(RUN, 'scenarios.json')));
const ports = JSON.parse(fs.readFileSync(path.join(RUN, 'ports.json')));
const only = process.argv.slice(2);
const KILL_AFTER = 15000;

function save(style, name, text) {
  const d = path.join(OUT, 'emailjs', style);
  fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(d, name + '.txt'), text);
}

function options(mode, port) {
  const o = { host: 'localhost', port, timeout: 4000 };
  if (mode === 'ssl') o.ssl = true;
  else if (mode.startsWith('starttls')) o.tls = true;
  if (!mode.endsWith('noauth')) { o.user = 'demo@example.test'; o.password = process.env.CAPTURE_PASSWORD || 'wrong-or-right-password'; }
  return o;
}

for (const [name, sc] of Object.entries(scenarios)) {
  if (only.length && !only.includes(name)) continue;
  const client = new SMTPClient(options(sc.mode, ports[name]));
  const send = client.sendAsync({ from: 'app@example.test', to: 'user@example.test', subject: 'capture', text: 'hello' })
    .then(() => ({ ok: true }), (err) => ({ err }));
  // the timer stays referenced: a send whose callback emailjs never calls must not let Node exit mid-loop
  let timer;
  const r = await Promise.race([send, new Promise((res) => { timer = setTimeout(() => res({ hung: true }), KILL_AFTER); })]);
  clearTimeout(timer);
  if (r.hung) { console.log(`${name}: emailjs still going after 15 s, left behind; nothing recorded`); continue; }
  if (r.ok) { console.log(name, 'sent'); continue; }
  save('message', name, String(r.err.message));
  save('inspect', name, util.inspect(r.err));
  console.log(name, 'error');
}
process.exit(0);
