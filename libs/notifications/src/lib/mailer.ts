import { Logger } from '@nestjs/common';
import { createTransport, Transporter } from 'nodemailer';
import type { UsageReport } from './usage-report';

export interface Mail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
const usd = (n: number) => `$${n.toFixed(n !== 0 && Math.abs(n) < 0.01 ? 6 : 2)}`;
const int = (n: number) => n.toLocaleString('en-US');

/** E-mail through nodemailer and `email.smtp_url`; a no-op without one. */
export class Mailer {
  private readonly logger = new Logger(Mailer.name);
  private readonly transport: Transporter | null;

  constructor(
    smtpUrl: string,
    private readonly from: string,
  ) {
    this.transport = smtpUrl ? createTransport(smtpUrl) : null;
  }

  get enabled(): boolean {
    return this.transport !== null;
  }

  async send(mail: Mail): Promise<boolean> {
    if (!this.transport) return false;
    try {
      await this.transport.sendMail({ from: this.from, ...mail });
      return true;
    } catch (err) {
      this.logger.warn(`e-mail to user failed: ${err instanceof Error ? err.message : String(err)}`);
      return false;
    }
  }

  close(): void {
    this.transport?.close();
  }
}

/** The usage report e-mail, plain text and HTML with the same figures. */
export function usageReportMail(to: string, username: string, report: UsageReport, dashboardUrl: string): Mail {
  const span = report.from === report.to ? report.from : `${report.from} to ${report.to}`;
  const link = dashboardUrl ? `${dashboardUrl}/analytics` : '';
  const lines = [
    `Hello ${username},`,
    '',
    `Your LMArena Bridge usage, ${span} (UTC):`,
    `  Requests: ${int(report.requests)}`,
    `  Errors: ${int(report.errors)}`,
    `  Tokens: ${int(report.prompt_tokens + report.completion_tokens)} (${int(report.prompt_tokens)} prompt, ${int(report.completion_tokens)} completion)`,
    `  Cost: ${usd(report.cost_usd)}`,
    '',
    'Top models:',
    ...(report.top_models.length ? report.top_models.map((m) => `  ${m.model}: ${int(m.requests)} requests, ${usd(m.cost_usd)}`) : ['  (none)']),
    ...(link ? ['', `Dashboard: ${link}`] : []),
    '',
    'Change or stop these reports on the Notifications page.',
  ];
  const rows = report.top_models.map((m) => `<tr><td>${escapeHtml(m.model)}</td><td>${int(m.requests)}</td><td>${usd(m.cost_usd)}</td></tr>`).join('');
  const html = `<p>Hello ${escapeHtml(username)},</p>
<p>Your LMArena Bridge usage, ${escapeHtml(span)} (UTC):</p>
<ul><li>Requests: <b>${int(report.requests)}</b></li><li>Errors: <b>${int(report.errors)}</b></li>
<li>Tokens: <b>${int(report.prompt_tokens + report.completion_tokens)}</b> (${int(report.prompt_tokens)} prompt, ${int(report.completion_tokens)} completion)</li>
<li>Cost: <b>${usd(report.cost_usd)}</b></li></ul>
<table><thead><tr><th>Model</th><th>Requests</th><th>Cost</th></tr></thead><tbody>${rows || '<tr><td colspan="3">(none)</td></tr>'}</tbody></table>
${link ? `<p><a href="${escapeHtml(link)}">Open the dashboard</a></p>` : ''}<p>Change or stop these reports on the Notifications page.</p>`;
  return { to, subject: `LMArena Bridge ${report.period} usage report: ${span}`, text: lines.join('\n'), html };
}

/** The notice before a token expires. */
export function tokenExpiringMail(to: string, username: string, token: { name: string; hint: string; expires_at: string }, dashboardUrl: string): Mail {
  const link = dashboardUrl ? `${dashboardUrl}/tokens` : '';
  const text = [
    `Hello ${username},`,
    '',
    `Your API token "${token.name}" (${token.hint}) expires at ${token.expires_at} (UTC).`,
    'Create a new one before then to keep your clients working.',
    ...(link ? ['', `Tokens: ${link}`] : []),
  ].join('\n');
  const html = `<p>Hello ${escapeHtml(username)},</p><p>Your API token <b>${escapeHtml(token.name)}</b> (${escapeHtml(token.hint)}) expires at ${escapeHtml(token.expires_at)} (UTC).</p>
<p>Create a new one before then to keep your clients working.</p>${link ? `<p><a href="${escapeHtml(link)}">Manage tokens</a></p>` : ''}`;
  return { to, subject: `LMArena Bridge: token "${token.name}" expires ${token.expires_at.slice(0, 10)}`, text, html };
}
