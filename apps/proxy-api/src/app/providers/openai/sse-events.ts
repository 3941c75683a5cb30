/**
 * Splits a Server-Sent Events byte stream into the data payloads of its events, as they
 * arrive (no buffering beyond one incomplete event). Line endings may be CRLF, LF or CR, even
 * mixed; comments and other fields are ignored; multi-line data is joined with "\n"; the
 * stream ends at `data: [DONE]`. A last event without its blank line is still delivered
 * (lenient on purpose: some upstreams end the stream right after their usage chunk).
 * At [DONE] the source is closed, or, with `afterDone`, handed to it unread (the openai
 * provider lets the upstream response end by itself, so its connection is kept).
 */
export async function* sseDataPayloads(
  chunks: AsyncIterable<Buffer | string>,
  afterDone?: (rest: AsyncIterator<Buffer | string>) => void,
): AsyncIterable<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  let heldCr = false;
  // Iterated by hand so that [DONE] can hand the rest of the source over instead of closing it.
  const source = chunks[Symbol.asyncIterator]();
  let handedOver = false;
  try {
    for (let next = await source.next(); !next.done; next = await source.next()) {
      const chunk = next.value;
      let text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
      if (heldCr) text = `\r${text}`;
      // A CR at the very end may be the first half of a CRLF split across chunks: wait for more.
      heldCr = text.endsWith('\r');
      if (heldCr) text = text.slice(0, -1);
      buffer += text.replace(/\r\n?/g, '\n');
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const data = dataOf(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (data === null) continue;
        if (data === '[DONE]') {
          if (afterDone) {
            handedOver = true;
            afterDone(source);
          }
          return;
        }
        yield data;
      }
    }
    const tail = dataOf(buffer + decoder.decode());
    if (tail !== null && tail !== '[DONE]') yield tail;
  } finally {
    // Stopped early (by [DONE] without a taker, an error, or the consumer): close the source.
    if (!handedOver) await source.return?.();
  }
}

function dataOf(event: string): string | null {
  let data: string | null = null;
  for (const line of event.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const value = line.slice(line.startsWith('data: ') ? 6 : 5);
    data = data === null ? value : `${data}\n${value}`;
  }
  return data;
}
