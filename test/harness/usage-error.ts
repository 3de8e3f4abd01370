import { expect } from '@jest/globals';
import { UsageError } from '../../core/errors.js';

/** Runs `action`, expects it to throw a UsageError (bad input, exit code 2), and returns its message. */
export function usageErrorMessage(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('expected a UsageError, nothing was thrown');
}
