/**
 * The first dependency cycle found, as a path that starts and ends at the same step
 * (`["a", "b", "a"]`: a depends on b, b depends on a), or null for an acyclic graph.
 * Dependencies on unknown steps are ignored. Deterministic: steps are visited in order.
 */
export function findDependencyCycle(steps: ReadonlyArray<{ name: string; dependencies: readonly string[] }>): string[] | null {
  const dependenciesOf = new Map(steps.map((s) => [s.name, s.dependencies] as const));
  const state = new Map<string, "visiting" | "done">();
  const path: string[] = [];

  const visit = (name: string): string[] | null => {
    const seen = state.get(name);
    if (seen === "done") return null;
    if (seen === "visiting") return [...path.slice(path.indexOf(name)), name];
    state.set(name, "visiting");
    path.push(name);
    for (const dependency of dependenciesOf.get(name) ?? []) {
      if (!dependenciesOf.has(dependency)) continue;
      const cycle = visit(dependency);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(name, "done");
    return null;
  };

  for (const step of steps) {
    const cycle = visit(step.name);
    if (cycle) return cycle;
  }
  return null;
}
