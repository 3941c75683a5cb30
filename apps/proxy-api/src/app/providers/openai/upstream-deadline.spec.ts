import { ClientGone } from '../chat-provider';
import { UpstreamDeadline } from './upstream-deadline';

const TIMEOUT_MS = 300;

describe('UpstreamDeadline', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('aborts the request when the headers do not arrive within its time, not before', () => {
    const deadline = new UpstreamDeadline(TIMEOUT_MS, new ClientGone());
    const aborted = jest.fn();
    deadline.on('abort', aborted);
    jest.advanceTimersByTime(TIMEOUT_MS - 1);
    expect(aborted).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    jest.runOnlyPendingTimers(); // the verdict's setImmediate
    expect(aborted).toHaveBeenCalledTimes(1);
    expect(deadline).toMatchObject({ aborted: true, timedOut: true });
  });

  it('lets headers that were already due when the timer fired win (a busy event loop is not a slow upstream)', () => {
    const deadline = new UpstreamDeadline(TIMEOUT_MS, new ClientGone());
    jest.advanceTimersToNextTimer(); // the timer ran; the I/O of the same loop turn comes next
    deadline.done(); // ...and delivered the headers
    jest.runOnlyPendingTimers();
    expect(deadline).toMatchObject({ aborted: false, timedOut: false });
    expect(jest.getTimerCount()).toBe(0);
  });

  it('never fires once done, and leaves no timer behind', () => {
    const deadline = new UpstreamDeadline(TIMEOUT_MS, new ClientGone());
    const aborted = jest.fn();
    deadline.on('abort', aborted);
    deadline.done();
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(TIMEOUT_MS * 10);
    expect(aborted).not.toHaveBeenCalled();
    expect(deadline.timedOut).toBe(false);
  });

  it('follows the client, also after the headers: aborted when the client goes away, or at once if it already has', () => {
    const client = new ClientGone();
    const deadline = new UpstreamDeadline(TIMEOUT_MS, client);
    deadline.done();
    client.abort();
    expect(deadline).toMatchObject({ aborted: true, timedOut: false });

    const gone = new ClientGone();
    gone.abort();
    const late = new UpstreamDeadline(TIMEOUT_MS, gone);
    expect(late.aborted).toBe(true);
    late.done();
  });
});
