import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { button, click, q, settle, text, type } from '../../testing/dom';
import { IpDenylistComponent } from './ip-denylist.component';

describe('IpDenylistComponent', () => {
  let http: HttpTestingController;
  let fixture: ComponentFixture<IpDenylistComponent>;
  const URL = '/api/admin/ip-denylist';
  const ranges = () => q<HTMLTextAreaElement>(fixture, '#denylist-ranges');

  beforeEach(async () => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(IpDenylistComponent);
    await fixture.whenStable();
  });
  afterEach(() => http.verify());

  async function load(list: string[]) {
    http.expectOne({ method: 'GET', url: URL }).flush({ ranges: list });
    await settle(fixture);
  }

  it('shows the stored list one range per line, and saves the edited list back, showing it as the server normalised it', async () => {
    expect(text(fixture)).toContain('Loading the deny list…');
    await load(['203.0.113.0/24', '2001:db8::/32']);
    expect(ranges().value).toBe('203.0.113.0/24\n2001:db8::/32');

    type(fixture, '#denylist-ranges', '203.0.113.0/24\n\n 198.51.100.7/16 \n::ffff:192.0.2.1\n203.0.113.0/24');
    await click(fixture, button(fixture, 'Save deny list'));
    const req = http.expectOne({ method: 'PUT', url: URL });
    expect(req.request.body).toEqual({ ranges: ['203.0.113.0/24', '198.51.100.7/16', '::ffff:192.0.2.1', '203.0.113.0/24'] });
    req.flush({ ranges: ['203.0.113.0/24', '198.51.0.0/16', '192.0.2.1'] });
    await settle(fixture);
    expect(ranges().value).toBe('203.0.113.0/24\n198.51.0.0/16\n192.0.2.1');
    expect(text(fixture, '[role=status]')).toBe('Saved 3 entries, as the server normalised them.');

    // Saving what is shown sends it unchanged.
    await click(fixture, button(fixture, 'Save deny list'));
    const again = http.expectOne({ method: 'PUT', url: URL });
    expect(again.request.body).toEqual({ ranges: ['203.0.113.0/24', '198.51.0.0/16', '192.0.2.1'] });
    again.flush({ ranges: ['203.0.113.0/24', '198.51.0.0/16', '192.0.2.1'] });
    await settle(fixture);
    expect(text(fixture, '[role=status]')).toBe('Saved 3 entries.');
  });

  it('empties the list', async () => {
    await load(['192.0.2.1']);
    type(fixture, '#denylist-ranges', '  ');
    await click(fixture, button(fixture, 'Save deny list'));
    const req = http.expectOne({ method: 'PUT', url: URL });
    expect(req.request.body).toEqual({ ranges: [] });
    req.flush({ ranges: [] });
    await settle(fixture);
    expect(ranges().value).toBe('');
    expect(text(fixture, '[role=status]')).toBe('Saved: the deny list is empty.');
  });

  it('names the line that is not an address or range, without sending', async () => {
    await load([]);
    type(fixture, '#denylist-ranges', '192.0.2.1\n192.0.2.300');
    await click(fixture, button(fixture, 'Save deny list'));
    http.expectNone({ method: 'PUT', url: URL });
    expect(ranges().getAttribute('aria-invalid')).toBe('true');
    expect(text(fixture, '#denylist-help')).toBe('“192.0.2.300” is not an IPv4 or IPv6 address or CIDR range.');
  });

  it('shows the server’s refusal and keeps what was typed', async () => {
    await load([]);
    type(fixture, '#denylist-ranges', '0.0.0.0/0');
    await click(fixture, button(fixture, 'Save deny list'));
    http
      .expectOne({ method: 'PUT', url: URL })
      .flush({ statusCode: 400, error: 'Bad Request', message: ['ranges[0]: would refuse every IPv4 client'] }, { status: 400, statusText: 'Bad Request' });
    await settle(fixture);
    expect(text(fixture, '[role=alert]')).toBe('Ranges[0]: would refuse every IPv4 client.');
    expect(ranges().value).toBe('0.0.0.0/0');
  });

  it('offers a retry when the list cannot be loaded', async () => {
    http.expectOne({ method: 'GET', url: URL }).flush(null, { status: 503, statusText: 'Service Unavailable' });
    await settle(fixture);
    expect(text(fixture, '[role=alert]')).toContain('could not be loaded');
    await click(fixture, button(fixture, 'Try again'));
    await load(['192.0.2.1']);
    expect(ranges().value).toBe('192.0.2.1');
  });
});
