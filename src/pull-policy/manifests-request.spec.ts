import { describe, expect, it } from 'vitest';
import { warningHeaders } from './manifests-request.js';
import type { ManifestsResult } from './manifests.js';

const result = (warnings: string[]): ManifestsResult => ({ format: 'yaml', manifests: '', containers: [], warnings, errors: [], denied: false });

describe('warningHeaders', () => {
  it('writes Kubernetes warning values: ASCII, quotes and backslashes escaped', () => {
    expect(warningHeaders(result(['say "hi" \\ to ünïcode']))).toEqual(['299 - "say \\"hi\\" \\\\ to ?n?code"']);
  });

  it('cuts each warning to 256 characters and stops at 4 096 in all, as the API server does', () => {
    const long = warningHeaders(result(['x'.repeat(200_000)]));
    expect(long).toEqual([`299 - "${'x'.repeat(253)}..."`]);
    const many = warningHeaders(result(Array.from({ length: 40 }, (_, i) => `${i}`.padEnd(200, '.'))));
    expect(many).toHaveLength(20); // 20 × 200 = 4 000; the 21st would pass 4 096
    expect(many.join('').length).toBeLessThan(16 * 1024); // under what HTTP clients accept for all headers
  });
});
