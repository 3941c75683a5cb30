import type { CreatedToken, NewToken, Token, TokenChanges, TokenList, User } from '@lmarena-bridge/contracts';

/** A tiny cookie-keeping client of the dashboard API, for end-to-end tests. */
export class DashboardClient {
  private cookie = '';

  constructor(readonly baseUrl: string) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const { status, text } = await this.requestText(method, path, body);
    return { status, body: (text ? JSON.parse(text) : null) as T };
  }

  /** The same, answering the body as text (downloads such as the userscript). */
  async requestText(method: string, path: string, body?: unknown): Promise<{ status: number; text: string; headers: Headers }> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(this.cookie ? { cookie: this.cookie } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const setCookie = res.headers.get('set-cookie');
    if (setCookie) this.cookie = setCookie.split(';')[0];
    return { status: res.status, text: await res.text(), headers: res.headers };
  }

  private async expect<T>(status: number, method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.request<T>(method, path, body);
    if (res.status !== status) throw new Error(`${method} ${path}: expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** Creates the first admin (or registers a user) and signs in. */
  async signUp(username: string, password = 'correct horse battery', asAdmin = false): Promise<User> {
    const path = asAdmin ? '/api/admin/init' : '/api/auth/register';
    await this.expect(201, 'POST', path, { username, email: `${username}@example.com`, password });
    return (await this.expect<{ user: User }>(200, 'POST', '/api/auth/login', { username, password })).user;
  }

  createToken(name: string, extra: Omit<NewToken, 'name'> = {}): Promise<CreatedToken> {
    return this.expect<CreatedToken>(201, 'POST', '/api/tokens', { name, ...extra });
  }

  updateToken(id: number, changes: TokenChanges): Promise<Token> {
    return this.expect<Token>(200, 'PATCH', `/api/tokens/${id}`, changes);
  }

  async listTokens(): Promise<Token[]> {
    return (await this.expect<TokenList>(200, 'GET', '/api/tokens')).tokens;
  }

  async revokeToken(id: number): Promise<void> {
    await this.expect(204, 'DELETE', `/api/tokens/${id}`);
  }
}
