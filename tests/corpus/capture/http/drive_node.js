// Node SDKs against apiserver.py: resend, @sendgrid/mail, mailgun.js, postmark, @getbrevo/brevo; fetch for the rest.
// styles: inspect = console.error(err) (util.inspect), message = console.error(err.message)
// Run: NODE_PATH=.../node_modules node drive_node.js PORT OUTDIR CASES_JSON
const fs = require('fs'), path = require('path'), util = require('util');
const [PORT, OUT, CASES_JSON] = process.argv.slice(2);
const cases = JSON.parse(fs.readFileSync(CASES_JSON));
const base = (n) => `http://127.0.0.1:${PORT}/${n}`;
function save(client, style, n, text) {
  const d = path.join(OUT, client, style); fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(d, String(n).padStart(2, '0') + '.txt'), text);
}
async function send(provider, n) {
  const msg = { from: 'app@example.test', to: 'user@example.test', subject: 's', html: 'h' };
  if (provider === 'resend') {
    const { Resend } = require('resend');
    process.env.RESEND_BASE_URL = base(n);
    const { data, error } = await new Resend('re_123456789abcdef').emails.send(msg);
    if (error) return { returned: error };
    return { ok: data };
  }
  if (provider === 'sendgrid') {
    const sg = require('@sendgrid/mail'); sg.setApiKey('SG.test'); sg.client.setDefaultRequest('baseUrl', base(n));
    return { ok: await sg.send({ ...msg, text: 'h' }) };
  }
  if (provider === 'mailgun') {
    const Mailgun = require('mailgun.js'); const FormData = require('form-data');
    const mg = new Mailgun(FormData).client({ username: 'api', key: 'key-test', url: base(n) });
    return { ok: await mg.messages.create('mg.example.test', msg) };
  }
  if (provider === 'postmark') {
    const postmark = require('postmark');
    const c = new postmark.ServerClient('server-token', { requestHost: `127.0.0.1:${PORT}/${n}`, useHttps: false });
    return { ok: await c.sendEmail({ From: msg.from, To: msg.to, Subject: 's', HtmlBody: 'h' }) };
  }
  if (provider === 'brevo') {
    const brevo = require('@getbrevo/brevo');
    const client = new brevo.BrevoClient({ apiKey: 'xkeysib-test', baseUrl: base(n) });
    return { ok: await client.transactionalEmails.sendTransacEmail({ sender: { email: msg.from }, to: [{ email: msg.to }], subject: 's', htmlContent: 'h' }) };
  }
  const r = await fetch(base(n) + '/v3/email/send', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
  const text = await r.text();
  if (!r.ok || text.includes('"error"')) throw new Error(`${provider} API error ${r.status}: ${text}`);
  return { ok: text };
}
(async () => {
  for (const [n, c] of cases.entries()) {
    const provider = c[0];
    if (['ses', 'sesv2'].includes(provider)) continue;  // the AWS SDK for JavaScript is not among these drivers
    const client = { resend: 'resend-node', sendgrid: 'sendgrid-node', mailgun: 'mailgun.js', postmark: 'postmark-node', brevo: 'brevo-node' }[provider] || 'node-fetch';
    try {
      const r = await send(provider, n);
      if (r.returned) { save(client, 'inspect', n, util.inspect({ data: null, error: r.returned })); save(client, 'message', n, `Email failed: ${r.returned.message}`); }
      else save(client, 'result', n, util.inspect(r.ok));
    } catch (err) {
      save(client, 'inspect', n, util.inspect(err, { depth: 4 }));
      save(client, 'message', n, String(err.message));
    }
    console.log(n, provider);
  }
})();
