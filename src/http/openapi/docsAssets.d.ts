// Swagger UI's prebuilt files, embedded as text (`with { type: "text" }`) so the docs page works offline.
declare module "swagger-ui-dist/swagger-ui-bundle.js" {
  const text: string;
  export default text;
}
declare module "swagger-ui-dist/swagger-ui.css" {
  const text: string;
  export default text;
}
