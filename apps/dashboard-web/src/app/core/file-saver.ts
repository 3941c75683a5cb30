import { DOCUMENT } from '@angular/common';
import { inject, Injectable } from '@angular/core';

/** How long the object URL outlives the click: the browser reads it after the handler returns. */
const REVOKE_AFTER_MS = 60_000;

/** Hands text to the browser as a file download (a Blob behind a clicked `<a download>`). */
@Injectable({ providedIn: 'root' })
export class FileSaver {
  private readonly document = inject(DOCUMENT);

  save(content: string, filename: string, type: string): void {
    const view = this.document.defaultView;
    if (!view) throw new Error('No window to download into.');
    const url = view.URL.createObjectURL(new Blob([content], { type }));
    const link = this.document.createElement('a');
    link.href = url;
    link.download = filename;
    link.hidden = true;
    this.document.body.appendChild(link);
    try {
      link.click();
    } finally {
      link.remove();
      view.setTimeout(() => view.URL.revokeObjectURL(url), REVOKE_AFTER_MS);
    }
  }
}
