import type { Teardown } from '../support/teardown';

/** What the runner gives a scenario: a private temp folder and the stop steps of this run. */
export interface ScenarioContext {
  workDir: string;
  teardown: Teardown;
  /** Progress for the operator (stderr), so stdout carries only the tables. */
  progress: (message: string) => void;
}

export interface ScenarioResult {
  scenario: string;
  /** Printed on stdout. */
  table: string;
  /** An SVG chart of the figures, written next to the JSON file. */
  chart?: string;
  /** Written to the JSON file, with the machine and the options. */
  data: Record<string, unknown>;
}
