/**
 * Splits a Server-Sent Events byte stream into the data payloads of its events, as they
 * arrive (no buffering beyond one incomplete event). Comments and other fields are ignored;
 * multi-line data is joined with "\n"; the stream ends at `data: [DONE]`.
 */
export async function* sseDataPayloads(chunks: AsyncIterable<Buffer | string>): AsyncIterable<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of chunks) {
    buffer += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = eventEnd(buffer)) !== -1) {
      const raw = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^(\r\n|\n|\r){2}|^(\r\n|\n|\r)/, '');
      const data = dataOf(raw);
      if (data === null) continue;
      if (data === '[DONE]') return;
      yield data;
    }
  }
  const tail = dataOf(buffer + decoder.decode());
  if (tail !== null && tail !== '[DONE]') yield tail;
}

/** Index where the first complete event ends (before its blank line), or -1. */
function eventEnd(buffer: string): number {
  const match = /\r\n\r\n|\n\n|\r\r/.exec(buffer);
  return match ? match.index : -1;
}

function dataOf(event: string): string | null {
  let data: string | null = null;
  for (const line of event.split(/\r\n|\n|\r/)) {
    if (!line.startsWith('data:')) continue;
    const value = line.slice(line.startsWith('data: ') ? 6 : 5);
    data = data === null ? value : `${data}\n${value}`;
  }
  return data;
}
