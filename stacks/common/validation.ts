/**
 * A construct's props broke its rules. Thrown from a constructor before any resource is made, with
 * every violation at once (prop, value, what is allowed), so a stack never half-builds.
 */
export class InvalidPropsError extends Error {
  constructor(
    readonly construct: string,
    readonly violations: readonly string[],
  ) {
    super(`${construct}: invalid props:\n${violations.map((violation) => `  - ${violation}`).join('\n')}`);
    this.name = 'InvalidPropsError';
  }
}

export function throwIfViolations(construct: string, violations: readonly string[]): void {
  if (violations.length > 0) throw new InvalidPropsError(construct, violations);
}

/** The retention periods CloudWatch Logs accepts (days; 0 = never expire). */
export const LOG_RETENTION_DAYS = [0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;
