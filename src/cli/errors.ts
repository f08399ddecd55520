// A user-facing CLI failure: printed as one line `berth: <message>` with exit code 1.
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CliError';
  }
}
