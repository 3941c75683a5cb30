import { HttpErrorResponse } from '@angular/common/http';

/**
 * A sentence for the user from a failed API call: the API's own validation messages
 * (`message: string[] | string`) when it sent them, otherwise what went wrong in HTTP terms.
 */
export function describeHttpError(err: unknown): string {
  if (!(err instanceof HttpErrorResponse)) return err instanceof Error ? err.message : 'Something went wrong.';
  if (err.status === 0) return 'The dashboard server could not be reached. Check your connection and try again.';
  const body: unknown = err.error;
  if (body && typeof body === 'object' && 'message' in body) {
    const message = (body as { message: unknown }).message;
    if (Array.isArray(message) && message.length) return message.map(String).map(sentence).join(' ');
    if (typeof message === 'string' && message) return sentence(message);
  }
  if (err.status === 404 && (err.url ?? '').includes('/api/usage/')) {
    return 'This server does not offer usage analytics yet (HTTP 404 from the usage API).';
  }
  if (err.status === 429) return 'Too many attempts. Wait a moment and try again.';
  if (err.status >= 500) return `The server failed to answer (HTTP ${err.status}). Try again in a moment.`;
  return `The request failed (HTTP ${err.status}${err.statusText ? ` ${err.statusText}` : ''}).`;
}

function sentence(text: string): string {
  const t = text.trim();
  const capital = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}
