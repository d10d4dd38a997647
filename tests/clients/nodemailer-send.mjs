// A Node.js app's mail code, as nodemailer's documentation shows it: settings from a .env (read by dotenv, as
// apps do), one transport, one message. Usage: node nodemailer-send.mjs PATH/.env RECIPIENT
// Exit 0 when the server accepted the message; otherwise nodemailer's own error on stderr, exit 1.
// Trust for a test CA comes from NODE_EXTRA_CA_CERTS, as for any Node.js program.
import dotenv from "dotenv";
import nodemailer from "nodemailer";

const [envFile, recipient] = process.argv.slice(2);
dotenv.config({ path: envFile, quiet: true });

const transporter = nodemailer.createTransport({
  host: process.env.SMTP_HOST,
  port: Number(process.env.SMTP_PORT),
  secure: process.env.SMTP_SECURE === "true",
  auth: {
    user: process.env.SMTP_USER,
    pass: process.env.SMTP_PASS,
  },
});

try {
  const info = await transporter.sendMail({
    from: process.env.SMTP_FROM,
    to: recipient,
    subject: "smtpdoctor real-client test",
    text: "Sent by nodemailer from tests/clients.",
  });
  console.log(info.response);
} catch (error) {
  console.error(`${error.code ?? ""} ${error.message}`);
  process.exitCode = 1;
}
