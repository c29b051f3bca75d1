// SQL files are embedded as text with `import x from "./file.sql" with { type: "text" }`.
declare module "*.sql" {
  const text: string;
  export default text;
}
