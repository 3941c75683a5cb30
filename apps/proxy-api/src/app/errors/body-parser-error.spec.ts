import { gunzip } from 'node:zlib';
import { bodyParserError } from './body-parser-error';
import { ProxyError } from './proxy-error';

/** zlib's own error for bytes that are not gzip, as body-parser passes it on (status 400, no type). */
function notGzipError(): Promise<Error> {
  return new Promise((resolve) =>
    gunzip(Buffer.from('{"model":"echo"}'), (err) => resolve(Object.assign(err as Error, { status: 400, statusCode: 400, expose: true }))),
  );
}

describe('bodyParserError and Content-Encoding', () => {
  it('turns a body that is not what its Content-Encoding claims into 400 invalid_request (it was a 500)', async () => {
    const mapped = bodyParserError(await notGzipError(), 1024);
    expect(mapped).toBeInstanceOf(ProxyError);
    expect((mapped as ProxyError).body()).toEqual({
      error: { message: expect.stringContaining('could not be decompressed'), type: 'invalid_request_error', param: null, code: 'invalid_request' },
    });
    expect((mapped as ProxyError).status).toBe(400);
  });

  it('leaves other untyped errors alone', () => {
    const plain = Object.assign(new Error('x'), { status: 400, code: 'SOMETHING' });
    expect(bodyParserError(plain, 1024)).toBe(plain);
  });
});
