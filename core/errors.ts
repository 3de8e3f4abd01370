/** The user gave something the tool cannot use: a flag, a setting, a project folder. Exit code 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** An outside tool or service failed (terraform, AWS, MLflow, docker) or the job itself failed. Exit code 1. */
export class ExternalError extends Error {
  readonly exitCode: number = 1;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ExternalError';
  }
}

/**
 * The run was stopped by SIGINT (exit 130) or SIGTERM (exit 143), the shell's codes for them, after
 * Terraform finished its current operation and released its lock; the message says what was applied.
 */
export class InterruptedError extends ExternalError {
  override readonly exitCode: number;
  constructor(
    readonly signal: 'SIGINT' | 'SIGTERM',
    message: string,
  ) {
    super(message);
    this.name = 'InterruptedError';
    this.exitCode = signal === 'SIGINT' ? 130 : 143;
  }
}

/** Formats a list of violations of one input as one message, the way aws-s3's bucket-name check does. */
export function violationsMessage(subject: string, violations: readonly string[]): string {
  return `${subject}:\n${violations.map((violation) => `  - ${violation}`).join('\n')}`;
}

/**
 * A construct's props broke its rules. Thrown from a constructor before any resource is made, with
 * every violation at once (prop, value, what is allowed), so a stack never half-builds. It is bad
 * input, so it exits 2 like every UsageError.
 */
export class InvalidPropsError extends UsageError {
  constructor(
    readonly construct: string,
    readonly violations: readonly string[],
  ) {
    super(violationsMessage(`${construct}: invalid props`, violations));
    this.name = 'InvalidPropsError';
  }
}

export function throwIfViolations(construct: string, violations: readonly string[]): void {
  if (violations.length > 0) throw new InvalidPropsError(construct, violations);
}
