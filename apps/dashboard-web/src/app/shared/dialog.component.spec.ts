import { Component, signal } from '@angular/core';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { q } from '../testing/dom';
import { DialogComponent } from './dialog.component';

@Component({
  imports: [DialogComponent],
  template: `
    <button type="button" id="opener" (click)="open.set(true)">Open</button>
    <lmb-dialog [open]="open()" heading="Edit “laptop”" [dismissible]="dismissible()" (closed)="closedCount = closedCount + 1; open.set(false)">
      <input id="inside" />
    </lmb-dialog>
  `,
})
class HostComponent {
  readonly open = signal(false);
  readonly dismissible = signal(true);
  closedCount = 0;
}

// jsdom has no modal dialogs (test-setup models `open` and the close event); what the
// browser does on Escape is fire a cancelable `cancel`, then close unless it was prevented.
function pressEscape(dialog: HTMLDialogElement): boolean {
  const cancel = new Event('cancel', { cancelable: true });
  dialog.dispatchEvent(cancel);
  if (!cancel.defaultPrevented) dialog.close();
  return !cancel.defaultPrevented;
}

describe('DialogComponent', () => {
  let fixture: ComponentFixture<HostComponent>;
  let host: HostComponent;
  const dialog = () => q<HTMLDialogElement>(fixture, 'dialog');

  beforeEach(async () => {
    fixture = TestBed.createComponent(HostComponent);
    host = fixture.componentInstance;
    await fixture.whenStable();
  });

  it('is a modal labelled by its title', () => {
    const el = dialog();
    expect(el.getAttribute('aria-modal')).toBe('true');
    const title = q(fixture, 'dialog h2');
    expect(title.textContent?.trim()).toBe('Edit “laptop”');
    expect(el.getAttribute('aria-labelledby')).toBe(title.id);
    expect(title.id).toMatch(/^lmb-dialog-\d+$/);
  });

  it('opens as a modal and closes when the parent says so, without reporting a user close', async () => {
    const showModal = jest.spyOn(dialog(), 'showModal');
    expect(dialog().open).toBe(false);
    q(fixture, '#opener').click();
    await fixture.whenStable();
    expect(showModal).toHaveBeenCalledTimes(1);
    expect(dialog().open).toBe(true);

    host.open.set(false);
    await fixture.whenStable();
    expect(dialog().open).toBe(false);
    expect(host.closedCount).toBe(0);
  });

  it('reports Escape to the parent', async () => {
    host.open.set(true);
    await fixture.whenStable();
    expect(pressEscape(dialog())).toBe(true);
    await fixture.whenStable();
    expect(host.closedCount).toBe(1);
    expect(dialog().open).toBe(false);

    // Opens again after a user close.
    host.open.set(true);
    await fixture.whenStable();
    expect(dialog().open).toBe(true);
  });

  it('ignores Escape while not dismissible (a request is running)', async () => {
    host.dismissible.set(false);
    host.open.set(true);
    await fixture.whenStable();
    expect(pressEscape(dialog())).toBe(false);
    await fixture.whenStable();
    expect(dialog().open).toBe(true);
    expect(host.closedCount).toBe(0);

    host.dismissible.set(true);
    await fixture.whenStable();
    expect(pressEscape(dialog())).toBe(true);
    await fixture.whenStable();
    expect(host.closedCount).toBe(1);
  });
});
