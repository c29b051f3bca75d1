import type { ConfigIssue } from "../lib/errors.ts";

/** One value for one leaf key from one layer (a file, an environment variable, a flag). */
export interface ConfigAssignment {
  /** Dotted leaf key, e.g. `web.port`. */
  key: string;
  value: unknown;
  /** `default`, a file path, `env NAME` or `flag --x`. */
  source: string;
}

/** What reading one layer produced: the values it sets and what was wrong with it. */
export interface ConfigLayer {
  assignments: ConfigAssignment[];
  issues: ConfigIssue[];
}
