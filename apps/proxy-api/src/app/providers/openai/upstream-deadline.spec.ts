import { ProxyError } from '../../errors/proxy-error';
import { ClientGone } from '../chat-provider';
import { touching, UpstreamDeadline } from './upstream-deadline';

const TIMEOUT_MS = 300;
const timeoutError = () => ProxyError.timeout('too slow');

describe('UpstreamDeadline', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('aborts the request when the headers do not arrive within its time, not before', () => {
    const deadline = new UpstreamDeadline(TIMEOUT_MS, new ClientGone(), timeoutError);
    const aborted = jest.fn();
    deadline.on('abort', aborted);
    jest.advanceTimersByTime(TIMEOUT_MS - 1);
    expect(aborted).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    jest.runOnlyPendingTimers(); // the verdict's setImmediate
    expect(aborted).toHaveBeenCalledTimes(1);
    expect(deadline).toMatchObject({ aborted: true, timedOut: true });
  });

  it('lets an answer that was already due when the timer fired win (a busy event loop is not a slow upstream)', () => {
    const deadline = new UpstreamDeadline(TIMEOUT_MS, new ClientGone(), timeoutError);
    const body = { destroy: jest.fn() };
    // The timer callback runs, but the headers' I/O of the same loop turn is delivered first.
    jest.advanceTimersToNextTimer();
    deadline.watchBody(body);
    jest.runOnlyPendingTimers(); // the immediate that would have given the verdict, if any
    expect(deadline).toMatchObject({ aborted: false, timedOut: false });
    expect(body.destroy).not.toHaveBeenCalled();
    deadline.done();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('measures pauses between body chunks once the headers arrived, and destroys the body with the timeout error', () => {
    const deadline = new UpstreamDeadline(TIMEOUT_MS, new ClientGone(), timeoutError);
    const body = { destroy: jest.fn() };
    jest.advanceTimersByTime(TIMEOUT_MS - 10);
    deadline.watchBody(body);
    jest.advanceTimersByTime(TIMEOUT_MS - 10);
    deadline.touch();
    jest.advanceTimersByTime(TIMEOUT_MS - 1);
    expect(body.destroy).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    jest.runOnlyPendingTimers();
    expect(body.destroy).toHaveBeenCalledWith(expect.objectContaining({ status: 504, code: 'upstream_timeout' }));
    expect(deadline.aborted).toBe(false); // the body carries the error, not an abort
    expect(deadline.timedOut).toBe(true);
  });

  it('never fires once done, and leaves no timer behind', () => {
    const deadline = new UpstreamDeadline(TIMEOUT_MS, new ClientGone(), timeoutError);
    const aborted = jest.fn();
    deadline.on('abort', aborted);
    deadline.done();
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(TIMEOUT_MS * 10);
    expect(aborted).not.toHaveBeenCalled();
    expect(deadline.timedOut).toBe(false);
  });

  it('follows the client: aborted when the client goes away, or at once if it already has', () => {
    const client = new ClientGone();
    const deadline = new UpstreamDeadline(TIMEOUT_MS, client, timeoutError);
    client.abort();
    expect(deadline).toMatchObject({ aborted: true, timedOut: false });

    const gone = new ClientGone();
    gone.abort();
    expect(new UpstreamDeadline(TIMEOUT_MS, gone, timeoutError).aborted).toBe(true);
  });

  it('touching() re-arms the deadline at every chunk and passes the chunks through', async () => {
    jest.useRealTimers();
    const deadline = new UpstreamDeadline(60_000, new ClientGone(), timeoutError);
    const touch = jest.spyOn(deadline, 'touch');
    async function* chunks() {
      yield 'a';
      yield 'b';
    }
    const seen: string[] = [];
    for await (const chunk of touching(chunks(), deadline)) seen.push(chunk);
    deadline.done();
    expect(seen).toEqual(['a', 'b']);
    expect(touch).toHaveBeenCalledTimes(2);
  });
});
