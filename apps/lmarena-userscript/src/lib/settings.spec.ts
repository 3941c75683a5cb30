import { DEFAULT_PROXY_URL, resolveSettings } from './settings';

describe('resolveSettings', () => {
  it('without a download: the default proxy URL and no key', () => {
    expect(resolveSettings()).toEqual({ proxyUrl: DEFAULT_PROXY_URL, bridgeKey: null });
    expect(DEFAULT_PROXY_URL).toBe('ws://127.0.0.1:5102/ws');
  });

  it('uses filled-in values, trimmed', () => {
    expect(resolveSettings(' ws://10.0.0.2:5102/ws ', 'lmb_bk_abc')).toEqual({ proxyUrl: 'ws://10.0.0.2:5102/ws', bridgeKey: 'lmb_bk_abc' });
  });

  it('treats empty values and untouched placeholders as not filled in', () => {
    expect(resolveSettings('', '  ')).toEqual({ proxyUrl: DEFAULT_PROXY_URL, bridgeKey: null });
    expect(resolveSettings('__LMB_PROXY_URL__', '__LMB_BRIDGE_KEY__')).toEqual({ proxyUrl: DEFAULT_PROXY_URL, bridgeKey: null });
  });
});
