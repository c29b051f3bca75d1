import type { Child } from "hono/jsx";

export interface LayoutProps {
  title: string;
  /** Which navigation link is the current page. */
  current: "tasks" | "overview" | "task" | "dlq" | "templates" | "template";
  authEnabled: boolean;
  apiKeyHeader: string;
  children?: Child;
}

/**
 * The page shell: navigation, the credential form (shown by the script when the API answers
 * 401), a live region for messages, and the script that loads the page's fragments with the
 * browser's credential.
 */
export function Layout(props: LayoutProps) {
  const link = (href: string, name: LayoutProps["current"], text: string) => (
    <a href={href} aria-current={props.current === name ? "page" : undefined}>
      {text}
    </a>
  );
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · tasker`}</title>
        <link rel="stylesheet" href="/dashboard/assets/dashboard.css" />
      </head>
      <body data-auth={props.authEnabled ? "on" : "off"} data-api-key-header={props.apiKeyHeader}>
        <header class="top">
          <strong class="brand">tasker</strong>
          <nav aria-label="Dashboard">
            {link("/dashboard", "tasks", "Tasks")}
            {link("/dashboard/overview", "overview", "Overview")}
            {link("/dashboard/dlq", "dlq", "DLQ")}
            {link("/dashboard/templates", "templates", "Templates")}
          </nav>
          <button type="button" id="sign-out" hidden>
            Sign out
          </button>
        </header>
        <section id="credential-panel" hidden aria-labelledby="credential-heading">
          <h2 id="credential-heading">Sign in</h2>
          <p>This API requires credentials. They stay in this browser tab (session storage) and are sent with each request.</p>
          <form id="credential-form">
            <label for="credential">API key or JWT</label>
            <input id="credential" name="credential" type="password" autocomplete="off" required />
            <button type="submit">Sign in</button>
          </form>
          <p id="credential-error" class="error" role="alert"></p>
        </section>
        <div id="flash" role="alert" aria-live="assertive"></div>
        <main id="content">{props.children}</main>
        <script src="/dashboard/assets/dashboard.js" defer></script>
      </body>
    </html>
  );
}
