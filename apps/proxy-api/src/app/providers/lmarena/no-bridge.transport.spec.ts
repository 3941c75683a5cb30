import { ProxyError } from '../../errors/proxy-error';
import { ClientGone } from '../chat-provider';
import { noBridgeTransport } from './no-bridge.transport';

describe('noBridgeTransport', () => {
  it('answers 503 upstream_unavailable telling the user to open LMArena with the userscript', async () => {
    const refusal = noBridgeTransport.open({ method: 'POST', path: '/nextjs-api/stream/create-evaluation', body: {} }, new ClientGone());
    await expect(refusal).rejects.toBeInstanceOf(ProxyError);
    await expect(refusal).rejects.toMatchObject({ status: 503, code: 'upstream_unavailable', message: expect.stringContaining('No browser is connected') });
    expect(noBridgeTransport.siteModel('any')).toBeUndefined();
  });
});
