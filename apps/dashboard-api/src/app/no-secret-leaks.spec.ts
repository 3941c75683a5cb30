import { sha256Hex, TokenVerifier } from '@lmarena-bridge/auth';
import { BridgeKeysService } from '@lmarena-bridge/bridge';
import { testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aToken, aUser } from '../testing/builders';
import { DashboardHarness } from '../testing/dashboard-harness';

/**
 * Drives every dashboard route, the failures included, then reads every row of every table
 * and every log line: no password, token secret or session id may be in any of them.
 */
describe.each(testDatabaseKinds())('no secret in the database or the logs, on $kind', ({ create }) => {
  let h: DashboardHarness;
  const issued: string[] = [];
  const sessionIds: string[] = [];
  const bridgeKeys: string[] = [];
  const logLevel = process.env['LOG_LEVEL'];
  const userscriptEnv = process.env['LMB_USERSCRIPT'];
  const scriptDir = mkdtempSync(join(tmpdir(), 'lmb-userscript-'));

  beforeAll(async () => {
    // Log everything the app can log: the check is only as good as what it sees.
    process.env['LOG_LEVEL'] = 'trace';
    // A stand-in for the built userscript, with the placeholders the download fills in.
    process.env['LMB_USERSCRIPT'] = join(scriptDir, 'lmarena-bridge.user.js');
    writeFileSync(process.env['LMB_USERSCRIPT'], 'const config = { url: "__LMB_PROXY_URL__", key: "__LMB_BRIDGE_KEY__" };\n');
    h = await DashboardHarness.start(create, { session_ttl_hours: 1 });
  });
  afterAll(async () => {
    if (logLevel === undefined) delete process.env['LOG_LEVEL'];
    else process.env['LOG_LEVEL'] = logLevel;
    if (userscriptEnv === undefined) delete process.env['LMB_USERSCRIPT'];
    else process.env['LMB_USERSCRIPT'] = userscriptEnv;
    rmSync(scriptDir, { recursive: true, force: true });
    await h?.close();
  });

  const attempt = (password: string) => {
    h.track(password);
    return password;
  };

  it('exercises every route, successes and failures', async () => {
    // Accounts: the first admin, users, and refused attempts with passwords of their own.
    const adminInput = aUser();
    const admin = await h.signUpAdmin(adminInput);
    await h
      .http()
      .post('/api/admin/init')
      .send(aUser({ password: attempt('second-admin-pw-1') }))
      .expect(409);
    const aliceInput = aUser();
    const alice = await h.signUp(aliceInput);
    const bobInput = aUser();
    const bob = await h.signUp(bobInput);
    await h
      .http()
      .post('/api/auth/register')
      .send(aUser({ password: attempt('short1') }))
      .expect(400);
    await h
      .http()
      .post('/api/auth/register')
      .send(aUser({ password: attempt(`${'€'.repeat(24)}x`) }))
      .expect(400);
    await h
      .http()
      .post('/api/auth/register')
      .send(aUser({ username: aliceInput.username, password: attempt('duplicate-pw-123') }))
      .expect(409);
    await h
      .http()
      .post('/api/auth/register')
      .send({ ...aUser({ password: attempt('extra-field-pw-1') }), role: 'admin' })
      .expect(400);

    // Sign-in failures.
    await h
      .http()
      .post('/api/auth/login')
      .send({ username: aliceInput.username, password: attempt('wrong-password-1') })
      .expect(401);
    await h
      .http()
      .post('/api/auth/login')
      .send({ username: 'nobody-here', password: attempt('unknown-user-pw-1') })
      .expect(401);
    await h
      .http()
      .post('/api/auth/login')
      .send({ username: aliceInput.email, password: attempt(`${aliceInput.password}${'x'.repeat(80)}`) })
      .expect(401);
    await alice.agent.get('/api/auth/me').expect(200);

    // Tokens: created in every way, listed, refused, revoked, verified.
    for (const input of [aToken(), aToken({ expires_in_days: 7 }), aToken({ expires_at: new Date(Date.now() + 86_400_000).toISOString() })]) {
      issued.push((await h.createToken(alice, input)).token);
    }
    const bobToken = await h.createToken(bob);
    const adminToken = await h.createToken(admin);
    issued.push(bobToken.token, adminToken.token);
    await alice.agent
      .post('/api/tokens')
      .send(aToken({ expires_in_days: 0 }))
      .expect(400);
    await alice.agent.post('/api/tokens').set('Origin', 'http://evil.example').send(aToken()).expect(403);
    await alice.agent.get('/api/tokens').expect(200);
    await admin.agent.get('/api/admin/tokens').expect(200);
    const aliceTokens = (await alice.agent.get('/api/tokens').expect(200)).body.tokens as Array<{ id: number }>;
    await bob.agent.delete(`/api/tokens/${aliceTokens[0].id}`).expect(404);
    await alice.agent.delete(`/api/tokens/${aliceTokens[0].id}`).expect(204);
    await admin.agent.delete(`/api/tokens/${bobToken.id}`).expect(204);
    await alice.agent.delete('/api/tokens/99999999999').expect(400);
    const verifier = h.get(TokenVerifier);
    for (const token of issued) await verifier.verifyToken(token);

    // Admin: list, disable (ends the session), enable, promote, demote, refusals.
    await admin.agent.get('/api/admin/users').expect(200);
    await admin.agent.patch(`/api/admin/users/${bob.user.id}`).send({ disabled: true }).expect(200);
    await bob.agent.get('/api/auth/me').expect(401);
    await h.http().post('/api/auth/login').send({ username: bobInput.username, password: bobInput.password }).expect(401);
    await admin.agent.patch(`/api/admin/users/${bob.user.id}`).send({ disabled: false }).expect(200);
    const bobAgain = await h.login(bobInput);
    await admin.agent.patch(`/api/admin/users/${alice.user.id}`).send({ role: 'admin' }).expect(200);
    await admin.agent.patch(`/api/admin/users/${alice.user.id}`).send({ role: 'user' }).expect(200);
    await admin.agent.patch(`/api/admin/users/${admin.user.id}`).send({ role: 'user' }).expect(409);
    await bobAgain.agent.get('/api/admin/users').expect(403);

    // Bridge keys: two userscripts downloaded, one revoked, both verified, refusals.
    for (const name of ['bridge one', 'bridge two']) {
      const script = (await admin.agent.post('/api/bridge/userscript').send({ name }).expect(201)).text;
      const key = /"(lmb-bridge-[A-Za-z0-9_-]{43})"/.exec(script)?.[1];
      if (!key) throw new Error(`no bridge key in the download: ${script}`);
      h.track(key);
      bridgeKeys.push(key);
    }
    await bobAgain.agent.post('/api/bridge/userscript').send({ name: 'not an admin' }).expect(403);
    await admin.agent.post('/api/bridge/userscript').send({ name: '' }).expect(400);
    const bridgeState = (await admin.agent.get('/api/bridge').expect(200)).body as { keys: Array<{ id: number }> };
    await admin.agent.delete(`/api/bridge/keys/${bridgeState.keys[0].id}`).expect(204);
    await admin.agent.delete(`/api/bridge/keys/${bridgeState.keys[0].id}`).expect(404);
    for (const key of bridgeKeys) await h.get(BridgeKeysService).verify(key);

    // Sessions: one expired in the database, one logged out and replayed.
    const [row] = await h.dataSource.query(`SELECT id FROM sessions WHERE session_hash = '${sha256Hex(bobAgain.sessionId)}'`);
    await h.updateRow('sessions', row.id, { expires_at: Date.now() - 1 });
    await bobAgain.agent.get('/api/auth/me').expect(401);
    await alice.agent.post('/api/auth/logout').expect(204);
    await h.agentWith(alice.sessionId).get('/api/auth/me').expect(401);
    await h.http().get('/api/status').expect(200);

    sessionIds.push(admin.sessionId, alice.sessionId, bob.sessionId, bobAgain.sessionId);
  });

  it('stores none of them: passwords only as bcrypt hashes, tokens and sessions only as SHA-256', async () => {
    const dump = await h.dumpDatabase();
    // The dump really holds the data the secrets were derived from.
    for (const token of issued) expect(dump).toContain(sha256Hex(token));
    for (const id of sessionIds) expect(dump).toContain(sha256Hex(id));
    for (const key of bridgeKeys) expect(dump).toContain(sha256Hex(key));
    expect(dump).toMatch(/\$2[aby]\$12\$/);

    const leaks = await h.leakedSecrets();
    // 3 account passwords, 8 refused ones, 5 token secrets, 4 session ids, 2 bridge keys.
    expect(leaks.tracked).toBe(3 + 8 + 5 + 4 + 2);
    expect(leaks.database).toEqual([]);
  });

  it('logs none of them', async () => {
    const log = h.logs.join('\n');
    // The capture really saw the traffic.
    expect(log).toContain('"url":"/api/auth/login"');
    expect(log).toContain('"url":"/api/tokens"');
    expect(log).toContain('"url":"/api/bridge/userscript"');
    expect(log).toContain('"cookie":"[redacted]"');
    expect((await h.leakedSecrets()).logs).toEqual([]);
  });
});
