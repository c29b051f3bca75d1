export function runtimeInfo(): { name: string; version: string } {
  return { name: "bun", version: Bun.version };
}
