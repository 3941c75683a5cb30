import { ComponentFixture } from '@angular/core/testing';

// Tiny DOM helpers for page tests: act like a user, then let zoneless change detection run.

export function q<T extends Element = HTMLElement>(fixture: ComponentFixture<unknown>, selector: string): T {
  const el = (fixture.nativeElement as HTMLElement).querySelector<T & Element>(selector);
  if (!el) throw new Error(`no element matches ${selector}`);
  return el as T;
}

export function qa<T extends Element = HTMLElement>(fixture: ComponentFixture<unknown>, selector: string): T[] {
  return [...(fixture.nativeElement as HTMLElement).querySelectorAll<T & Element>(selector)] as T[];
}

export function text(fixture: ComponentFixture<unknown>, selector?: string): string {
  const el = selector ? q(fixture, selector) : (fixture.nativeElement as HTMLElement);
  return (el.textContent ?? '').replace(/\s+/g, ' ').trim();
}

export function type(fixture: ComponentFixture<unknown>, selector: string, value: string): void {
  const input = q<HTMLInputElement>(fixture, selector);
  input.value = value;
  input.dispatchEvent(new Event('input'));
  input.dispatchEvent(new Event('blur'));
}

export function choose(fixture: ComponentFixture<unknown>, selector: string, value: string): void {
  const select = q<HTMLSelectElement>(fixture, selector);
  select.value = value;
  select.dispatchEvent(new Event('change'));
}

/** The button whose text is `label` (exact, trimmed). */
export function button(fixture: ComponentFixture<unknown>, label: string, within?: string): HTMLButtonElement {
  const scope = within ? q(fixture, within) : (fixture.nativeElement as HTMLElement);
  const found = [...scope.querySelectorAll('button')].find((b) => (b.textContent ?? '').replace(/\s+/g, ' ').trim() === label);
  if (!found) throw new Error(`no button "${label}"`);
  return found;
}

export async function click(fixture: ComponentFixture<unknown>, el: HTMLElement): Promise<void> {
  el.click();
  await fixture.whenStable();
}

/** Lets pending promises (async handlers) settle, then renders. */
export async function settle(fixture: ComponentFixture<unknown>): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r));
    await fixture.whenStable();
  }
}
