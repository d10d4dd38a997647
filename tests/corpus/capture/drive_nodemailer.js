// nodemailer: sendMail against each scenario.
// Run: NM_DIR=/tmp/capture/node_modules/nodemailer NM_TAG=nodemailer node --stack-trace-limit=4 drive_nodemailer.js [scenario...]
// styles: inspect = console.error(err)  (util.inspect: stack + code/response/command props)
//         message = console.error(err.message)
//         logger  = nodemailer's own logger (logger: true), the lines it prints for the failure
const fs = require('fs');
const path = require('path');
const util = require('util');
const nodemailer = require(process.env.NM_DIR || 'nodemailer');
const TAG = process.env.NM_TAG || 'nodemailer';
const RUN = process.env.CAPTURE_RUN || '/tmp/capture/run';
const OUT = process.env.CAPTURE_OUT || '/tmp/capture/out';
const scenarios = JSON.parse(fs.readFileSync(path.join(RUN, 'scenarios.json')));
const ports = JSON.parse(fs.readFileSync(path.join(RUN, 'ports.json')));
const ca = fs.readFileSync(path.join(RUN, 'ca.pem'));
const only = process.argv.slice(2);

function save(style, name, text) {
  const d = path.join(OUT, TAG, style);
  fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(d, name + '.txt'), text);
}

function options(mode, port, logger) {
  const o = {
    host: 'localhost', port, connectionTimeout: 4000, greetingTimeout: 3000, socketTimeout: 6000,
    tls: { ca: [ca] },
  };
  if (mode === 'ssl') o.secure = true;
  else if (mode.startsWith('starttls')) { o.secure = false; o.requireTLS = true; }
  else { o.secure = false; o.ignoreTLS = true; }
  if (!mode.endsWith('noauth')) o.auth = { user: 'demo@example.test', pass: 'wrong-or-right-password' };
  if (logger) o.logger = logger;
  return o;
}

async function once(name, mode, logger) {
  const t = nodemailer.createTransport(options(mode, ports[name], logger));
  try {
    return { info: await t.sendMail({ from: 'app@example.test', to: 'user@example.test', subject: 'capture', text: 'hello' }) };
  } catch (err) {
    return { err };
  } finally { t.close(); }
}

(async () => {
  for (const [name, sc] of Object.entries(scenarios)) {
    if (only.length && !only.includes(name)) continue;
    const r = await once(name, sc.mode);
    if (r.err) {
      save('inspect', name, util.inspect(r.err));
      save('message', name, String(r.err.message));
    } else {
      save('inspect', name, util.inspect(r.info));
    }
    // nodemailer's built-in logger prints "[timestamp] LEVEL [cid] message" lines to stdout
    // (console.log is captured while it runs: those are the exact lines it would print)
    const lines = [];
    const orig = console.log;
    console.log = (...args) => lines.push(util.format(...args));
    try { await once(name, sc.mode, true); } finally { console.log = orig; }
    save('logger', name, lines.slice(-10).join('\n'));
    console.log(name);
  }
})();
