import { describe, expect, it } from 'vitest';
import { errorText } from './error-text.js';

describe('errorText', () => {
  it("keeps an Error's first message line, and names non-plain errors only when asked", () => {
    expect(errorText(new Error('first\nsecond'))).toBe('first');
    expect(errorText(new TypeError('bad input'))).toBe('bad input');
    expect(errorText(new TypeError('bad input'), true)).toBe('TypeError: bad input');
    expect(errorText(new Error('plain'), true)).toBe('plain');
  });

  it("falls back to the error's name when the message is empty", () => {
    expect(errorText(new RangeError(''))).toBe('RangeError');
  });

  it('passes a thrown string through and marks anything else as a non-error', () => {
    expect(errorText('just text')).toBe('just text');
    expect(errorText(42)).toBe('non-error thrown: 42');
    expect(errorText(undefined)).toBe('non-error thrown: undefined');
  });
});
