import { renderConfig, type ResolvedConfig } from "../config/index.ts";

/** `tasker config check`: the resolved config, secrets masked, each key with its source. */
export function configCheckCommand(resolved: ResolvedConfig, out: (text: string) => void): number {
  out(renderConfig(resolved));
  return 0;
}
