// A tiny element builder: text is always set as text, never parsed as HTML.

type Props = Record<string, string | boolean | ((event: Event) => void) | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: (Node | string | null)[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") element.addEventListener(name.replace(/^on/, "").toLowerCase(), value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, value);
  }
  for (const child of children) if (child !== null) element.append(child);
  return element;
}

/** A status line that pages write messages into (role=status is read out by screen readers). */
export function statusLine(): { element: HTMLElement; show(message: string, kind?: "error" | "info"): void; clear(): void } {
  const element = h("p", { class: "status", role: "status" });
  return {
    element,
    show(message, kind = "error") {
      element.textContent = message;
      element.className = `status ${kind}`;
    },
    clear() {
      element.textContent = "";
      element.className = "status";
    },
  };
}
