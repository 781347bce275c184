import { z } from 'zod';

/** Every invalid variable of one start-up, reported at once. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export interface VariableDoc {
  name: string;
  default: string;
  doc: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads typed values from environment variables. Problems are collected, not
 * thrown one by one, so an operator fixes a bad deployment in one pass. Every
 * read is recorded with its default and description, which is how the README
 * table is checked against the code.
 */
export class EnvReader {
  private readonly problems: string[] = [];
  readonly variables: VariableDoc[] = [];

  constructor(private readonly env: Env) {}

  string(name: string, fallback: string, doc: string, pattern?: RegExp): string {
    const schema = pattern ? z.string().regex(pattern, `must match ${pattern}`) : z.string();
    return this.read(name, fallback, doc, schema);
  }

  optional(name: string, doc: string): string | undefined {
    this.variables.push({ name, default: '(unset)', doc });
    const raw = this.env[name];
    return raw === undefined || raw === '' ? undefined : raw;
  }

  int(name: string, fallback: number, doc: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const schema = z.coerce
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(min, `must be at least ${min}`)
      .max(max, `must be at most ${max}`);
    return this.read(name, String(fallback), doc, schema);
  }

  /** A port that may be left unset (the feature is then off). */
  optionalPort(name: string, doc: string): number | undefined {
    const raw = this.env[name];
    if (raw === undefined || raw === '') {
      this.variables.push({ name, default: '(unset)', doc });
      return undefined;
    }
    return this.port(name, 0, doc);
  }

  port(name: string, fallback: number, doc: string): number {
    return this.int(name, fallback, doc, 0, 65535);
  }

  bool(name: string, fallback: boolean, doc: string): boolean {
    const schema = z.enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' });
    const value = this.read(name, String(fallback), doc, schema);
    return value === 'true' || value === '1' || value === 'yes';
  }

  oneOf<T extends string>(name: string, fallback: T, doc: string, choices: readonly [T, ...T[]]): T {
    return this.read(name, fallback, doc, z.enum(choices, { error: `must be one of ${choices.join(', ')}` }));
  }

  /** Records a problem that involves several variables (one alone is fine, together they are not). */
  conflict(problem: string): void {
    this.problems.push(problem);
  }

  /** Throws a ConfigError naming every invalid variable seen so far. */
  finish(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }

  private read<T>(name: string, fallback: string, doc: string, schema: z.ZodType<T>): T {
    this.variables.push({ name, default: fallback === '' ? '(empty)' : fallback, doc });
    const raw = this.env[name];
    const input = raw === undefined || raw === '' ? fallback : raw;
    const parsed = schema.safeParse(input);
    if (parsed.success) return parsed.data;
    const why = parsed.error.issues.map((issue) => issue.message).join('; ');
    this.problems.push(`${name}=${JSON.stringify(input)}: ${why}`);
    // The value is never used: finish() throws before anyone sees the config.
    return undefined as T;
  }
}
