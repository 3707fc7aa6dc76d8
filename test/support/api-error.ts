import { ApiError } from '../../src/common/errors.js';

/** The ApiError a promise rejects with; fails the test when it resolves or rejects with anything else. */
export async function apiErrorOf(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected the promise to reject with an ApiError');
}
