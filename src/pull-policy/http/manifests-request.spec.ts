import { describe, expect, it } from 'vitest';
import { warningHeaders } from './manifests-request.js';
import type { ManifestsResult } from '../manifests.js';

const result = (warnings: string[]): ManifestsResult => ({ format: 'yaml', manifests: '', containers: [], warnings, errors: [], denied: false });

describe('warningHeaders', () => {
  it('writes Kubernetes warning values: ASCII, quotes and backslashes escaped', () => {
    expect(warningHeaders(result(['say "hi" \\ to ünïcode']))).toEqual(['299 - "say \\"hi\\" \\\\ to ?n?code"']);
  });

  it('cuts each warning to 256 characters and stops at 4 096 in all, as the API server does', () => {
    const long = warningHeaders(result(['x'.repeat(200_000)]));
    expect(long).toEqual([`299 - "${'x'.repeat(253)}..."`]);
    const many = warningHeaders(result(Array.from({ length: 40 }, (_, i) => `${i}`.padEnd(200, '.'))));
    expect(many).toHaveLength(19); // 19 × 209 written = 3 971; the 20th would pass 4 096
    expect(many.join('').length).toBeLessThanOrEqual(4_096);
    const quotes = warningHeaders(result(Array.from({ length: 40 }, () => '"'.repeat(256))));
    expect(quotes.join('').length).toBeLessThanOrEqual(4_096); // counted as written, escapes included
  });
});
