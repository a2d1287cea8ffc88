// Shows fresh recovery codes once, with a download, and says what they are for.
import { h } from "./dom.ts";

export function recoveryCodesPanel(codes: string[], options: { username: string; onDone?: () => void }): HTMLElement {
  const text = [
    `Recovery codes for ${options.username} on ${location.host}`,
    "Each code works once. Use one at /recover if you lose access to your passkeys.",
    "",
    ...codes,
  ].join("\n");
  const download = h(
    "button",
    {
      type: "button",
      class: "secondary small",
      id: "download-codes",
      onclick: () => {
        const url = URL.createObjectURL(new Blob([text], { type: "text/plain" }));
        const link = h("a", { href: url, download: `recovery-codes-${options.username}.txt` });
        link.click();
        setTimeout(() => URL.revokeObjectURL(url), 0);
      },
    },
    "Download",
  );
  const copy = h("button", { type: "button", class: "secondary small", onclick: () => void navigator.clipboard?.writeText(text) }, "Copy");
  return h(
    "div",
    { class: "recovery-codes", id: "recovery-codes" },
    h("h2", {}, "Save your recovery codes"),
    h(
      "p",
      {},
      "If you lose every device with your passkey, one of these codes lets you add a new passkey. Each works once. Keep them somewhere safe: they are shown only now.",
    ),
    h("ol", { class: "codes" }, ...codes.map((code) => h("li", { class: "code" }, code))),
    h(
      "div",
      { class: "actions" },
      download,
      copy,
      ...(options.onDone ? [h("button", { type: "button", id: "codes-saved", onclick: options.onDone }, "I have saved them")] : []),
    ),
  );
}
