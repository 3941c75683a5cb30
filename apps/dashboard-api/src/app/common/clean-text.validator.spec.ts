import { validateSync } from 'class-validator';
import { IsCleanText, isCleanText, IsEmailAddress } from './clean-text.validator';
import { OptionalNotNull } from './optional-not-null';
import { IsBoolean } from 'class-validator';

class Sample {
  @IsCleanText() name?: unknown;
  @IsEmailAddress() email?: unknown;
  @OptionalNotNull() @IsBoolean() flag?: unknown;
}

const problems = (fields: Partial<Sample>) =>
  validateSync(Object.assign(new Sample(), { name: 'ok', email: 'a@example.com', ...fields })).map((e) => e.property);

describe('dashboard text validators', () => {
  it.each([
    ['plain', true],
    ['émoji 😀', true],
    ["'; DROP TABLE x; --", true],
    ['a\u0000b', false],
    ['\ud800', false],
    ['x\udfffy', false],
  ])('isCleanText(%j) is %p', (text, ok) => {
    expect(isCleanText(text)).toBe(ok);
  });

  it('refuses NUL and unpaired surrogates in names', () => {
    expect(problems({ name: 'a\u0000b' })).toEqual(['name']);
    expect(problems({ name: '\ud83d' })).toEqual(['name']);
  });

  it('refuses an email with an unpaired surrogate instead of throwing (validator.js encodeURI)', () => {
    expect(() => problems({ email: 'a\ud800@example.com' })).not.toThrow();
    expect(problems({ email: 'a\ud800@example.com' })).toEqual(['email']);
    expect(problems({ email: 'not an email' })).toEqual(['email']);
  });

  it('OptionalNotNull: absent is fine, null is not', () => {
    expect(problems({})).toEqual([]);
    expect(problems({ flag: true })).toEqual([]);
    expect(problems({ flag: null })).toEqual(['flag']);
  });
});
