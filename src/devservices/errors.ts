/**
 * Failures of the development/test service launchers. These are operator
 * errors (a missing package, a port in use, a server that never came up), not
 * chat errors, so they are not part of the ChatError hierarchy.
 */
export class DevServiceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A server could not bind its port; the launcher retries on another free port. */
export class PortInUseError extends DevServiceError {
  constructor(
    readonly service: string,
    readonly port: number,
    message: string,
  ) {
    super(message);
  }
}
