import nodemailer from 'nodemailer';
import type { SmtpSetting } from './settings.ts';

export type MailSender = { send(mail: { to: string; subject: string; text: string }): Promise<void>; close(): void };

/**
 * Mail through the newsroom's relay, with nodemailer: TLS as the setting says (implicit, STARTTLS
 * required, or plain to a relay on loopback), certificates checked. The greeting names the From
 * address's domain, not this machine's host name.
 */
export function smtpSender(smtp: SmtpSetting, from: string): MailSender {
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    requireTLS: smtp.requireTLS,
    ignoreTLS: smtp.ignoreTLS,
    ...(smtp.auth ? { auth: smtp.auth } : {}),
    name: from.split('@')[1]!,
    tls: { minVersion: 'TLSv1.2', rejectUnauthorized: true },
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
  });
  return {
    async send({ to, subject, text }) {
      await transport.sendMail({ from, to, subject, text, disableFileAccess: true, disableUrlAccess: true });
    },
    close: () => transport.close(),
  };
}
