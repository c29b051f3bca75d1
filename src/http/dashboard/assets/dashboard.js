// The dashboard's only script (served as is, no build step): loads the page's server-rendered
// fragments with the browser's credential, follows a task's live stream, and sends operator
// actions to the API after a confirmation.
"use strict";

(() => {
  const CREDENTIAL_KEY = "tasker.dashboard.credential";
  const body = document.body;
  const authEnabled = body.dataset.auth === "on";
  const apiKeyHeader = body.dataset.apiKeyHeader || "X-API-Key";
  const flash = document.getElementById("flash");
  const credentialPanel = document.getElementById("credential-panel");
  const credentialForm = document.getElementById("credential-form");
  const credentialError = document.getElementById("credential-error");
  const signOut = document.getElementById("sign-out");

  const credential = () => sessionStorage.getItem(CREDENTIAL_KEY);

  /** The API's auth header: a JWT (three base64url parts, or "Bearer …") as Authorization, else the API key header. */
  function authHeaders() {
    const value = credential();
    if (!value) return {};
    if (/^Bearer\s+/i.test(value)) return { authorization: value };
    if (/^[\w-]+\.[\w-]+\.[\w-]+$/.test(value)) return { authorization: `Bearer ${value}` };
    return { [apiKeyHeader]: value };
  }

  function showMessage(text, isError) {
    flash.textContent = text;
    flash.classList.toggle("is-error", Boolean(isError));
  }

  /** The error envelope's message, or the status line. */
  async function errorMessage(response) {
    try {
      const json = await response.json();
      if (json && json.error && json.error.message) return json.error.message;
    } catch {
      // not JSON: fall through
    }
    return `${response.status} ${response.statusText}`;
  }

  function askForCredential(message) {
    credentialPanel.hidden = false;
    credentialError.textContent = message || "";
    document.getElementById("credential").focus();
  }

  class AuthRequired extends Error {}

  /** Fetches with the credential; a 401 opens the sign-in form and throws AuthRequired. */
  async function request(method, url, init) {
    const response = await fetch(url, { ...init, method, headers: { ...(init && init.headers), ...authHeaders() } });
    if (response.status === 401) {
      const message = await errorMessage(response);
      const had = credential();
      if (had) sessionStorage.removeItem(CREDENTIAL_KEY);
      signOut.hidden = true;
      askForCredential(had ? `The API refused the credentials: ${message}` : message);
      throw new AuthRequired(message);
    }
    return response;
  }

  /** Replaces an element's content with its fragment; errors are shown in it, never a blank area. */
  async function loadFragment(element) {
    const url = element.dataset.fragment;
    if (!url) return false;
    try {
      const response = await request("GET", url);
      if (!response.ok) {
        const message = await errorMessage(response);
        element.innerHTML = "";
        const p = document.createElement("p");
        p.className = "error";
        p.setAttribute("role", "alert");
        p.textContent = response.status === 403 ? `Not allowed: ${message}` : `Could not load this part of the page: ${message}`;
        element.append(p);
        return false;
      }
      element.innerHTML = await response.text();
      element.dataset.loaded = String(Date.now());
      return true;
    } catch (error) {
      if (!(error instanceof AuthRequired)) {
        element.textContent = `Could not load this part of the page: ${error.message}`;
      }
      return false;
    }
  }

  function loadAll() {
    return Promise.all([...document.querySelectorAll("[data-fragment]")].map(loadFragment));
  }

  // ---- sign in / out
  credentialForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const input = document.getElementById("credential");
    const value = input.value.trim();
    if (!value) return;
    // Kept in session storage only, not left in the page.
    input.value = "";
    sessionStorage.setItem(CREDENTIAL_KEY, value);
    credentialPanel.hidden = true;
    credentialError.textContent = "";
    signOut.hidden = false;
    void start();
  });
  signOut.hidden = !credential();
  signOut.addEventListener("click", () => {
    sessionStorage.removeItem(CREDENTIAL_KEY);
    location.reload();
  });

  // ---- task page: the step inspector and the live stream
  const taskPanel = document.getElementById("task");
  const inspector = document.getElementById("inspector");

  function inspectorIsBusy() {
    return inspector && inspector.contains(document.activeElement) && document.activeElement.matches("input, textarea");
  }

  function selectStep(stepUuid) {
    const taskUuid = taskPanel.dataset.taskUuid;
    const url = new URL(location.href);
    url.searchParams.set("step", stepUuid);
    history.replaceState(null, "", url);
    taskPanel.dataset.fragment = `/dashboard/fragments/tasks/${taskUuid}?step=${stepUuid}`;
    inspector.dataset.fragment = `/dashboard/fragments/tasks/${taskUuid}/steps/${stepUuid}`;
    for (const node of taskPanel.querySelectorAll(".dag-node")) node.classList.remove("selected");
    const link = taskPanel.querySelector(`a[data-step-link="${stepUuid}"] .dag-node`);
    if (link) link.classList.add("selected");
    void loadFragment(inspector).then(() => {
      const heading = document.getElementById("inspector-heading");
      if (heading) {
        heading.tabIndex = -1;
        heading.focus();
      }
    });
  }

  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[data-step-link]");
    if (link && taskPanel && inspector && !event.ctrlKey && !event.metaKey && !event.shiftKey) {
      event.preventDefault();
      selectStep(link.dataset.stepLink);
    }
  });

  /** Reads the task's server-sent events through fetch (so the credential header is sent) and reloads on change. */
  async function follow(url) {
    let pending = false;
    const refresh = async () => {
      if (pending) return;
      pending = true;
      try {
        await loadFragment(taskPanel);
        if (inspector.dataset.fragment && !inspectorIsBusy()) await loadFragment(inspector);
      } finally {
        pending = false;
      }
    };
    for (;;) {
      try {
        const response = await request("GET", url, { headers: { accept: "text/event-stream" } });
        if (!response.ok || !response.body) throw new Error(await errorMessage(response));
        taskPanel.dataset.liveState = "open";
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = /^event: (.*)$/m.exec(block);
            if (!event) continue;
            if (event[1] === "change") await refresh();
            if (event[1] === "gone") return;
          }
        }
      } catch (error) {
        if (error instanceof AuthRequired) return;
      }
      taskPanel.dataset.liveState = "reconnecting";
      await new Promise((resolve) => setTimeout(resolve, 2000));
      await refresh();
    }
  }

  // ---- actions: through the API, after a confirmation
  async function act(description, method, url, payload) {
    if (!window.confirm(`${description}?`)) return;
    try {
      const response = await request(method, url, {
        headers: payload === undefined ? {} : { "content-type": "application/json" },
        body: payload === undefined ? undefined : JSON.stringify(payload),
      });
      if (!response.ok) {
        showMessage(`${description} failed: ${await errorMessage(response)}`, true);
        return;
      }
      showMessage(`${description}: done.`, false);
      await loadAll();
    } catch (error) {
      if (!(error instanceof AuthRequired)) showMessage(`${description} failed: ${error.message}`, true);
    }
  }

  document.addEventListener("submit", (event) => {
    if (event.target.matches("form.step-actions, form.dlq-resolve")) event.preventDefault();
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("button[data-action]");
    if (!button) return;
    const action = button.dataset.action;
    if (action === "cancel-task") {
      const taskUuid = button.dataset.taskUuid;
      void act(`Cancel task ${taskUuid}`, "DELETE", `/v1/tasks/${taskUuid}`);
      return;
    }
    if (action === "resolve-dlq") {
      const form = button.closest("form.dlq-resolve");
      const field = form.elements.namedItem("note");
      const note = field.value.trim();
      if (!note) {
        showMessage("Give a resolution note: it is recorded with the entry.", true);
        field.setAttribute("aria-invalid", "true");
        field.focus();
        return;
      }
      field.removeAttribute("aria-invalid");
      const entry = form.dataset.dlqEntry;
      void act(`Resolve DLQ entry ${entry}`, "PATCH", `/v1/dlq/entry/${entry}`, {
        resolution_status: "ManuallyResolved",
        resolution_notes: note,
        resolved_by: form.dataset.actor || "dashboard",
      });
      return;
    }
    const form = button.closest("form.step-actions");
    if (!form) return;
    const stepName = inspector.querySelector("[data-inspected-step]")?.dataset.inspectedStep ?? "this step";
    const url = `/v1/tasks/${form.dataset.taskUuid}/workflow_steps/${form.dataset.stepActions}`;
    const reason = form.elements.namedItem("reason").value.trim();
    const actor = form.dataset.actor || "dashboard";
    if (!reason) {
      showMessage("Give a reason for the action.", true);
      form.elements.namedItem("reason").focus();
      return;
    }
    if (action === "retry") {
      void act(`Retry step ${stepName}`, "PATCH", url, { action_type: "reset_for_retry", reason, reset_by: actor });
    } else if (action === "resolve") {
      void act(`Resolve step ${stepName} manually`, "PATCH", url, { action_type: "resolve_manually", reason, resolved_by: actor });
    } else if (action === "complete") {
      const field = form.elements.namedItem("result");
      let result;
      try {
        result = JSON.parse(field.value);
      } catch (error) {
        showMessage(`The result is not valid JSON: ${error.message}`, true);
        field.setAttribute("aria-invalid", "true");
        field.focus();
        return;
      }
      field.removeAttribute("aria-invalid");
      void act(`Complete step ${stepName} with this result`, "PATCH", url, {
        action_type: "complete_manually",
        reason,
        completed_by: actor,
        completion_data: { result },
      });
    }
  });

  // ---- start
  let following = false;
  async function start() {
    if (authEnabled && !credential()) {
      askForCredential("");
      return;
    }
    const results = await loadAll();
    if (taskPanel && taskPanel.dataset.live && results.some(Boolean) && !following) {
      following = true;
      void follow(taskPanel.dataset.live).finally(() => {
        following = false;
      });
    }
    const overview = document.getElementById("overview");
    if (overview && overview.dataset.refreshMs && !overview.dataset.timer) {
      overview.dataset.timer = "on";
      setInterval(() => {
        if (!document.hidden) void loadFragment(overview);
      }, Number(overview.dataset.refreshMs));
    }
  }

  void start();
})();
