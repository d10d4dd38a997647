// smtpdoctor serve: conveniences only. Every page works without this file (the CSP allows no inline script).
"use strict";

function copyButtons() {
  for (const button of document.querySelectorAll("button.copy[data-copy]")) {
    const target = document.getElementById(button.dataset.copy);
    if (!target) continue;
    button.hidden = false;
    const label = button.textContent;
    button.addEventListener("click", async () => {
      const text = target.textContent.trim();
      let ok = false;
      try {
        await navigator.clipboard.writeText(text);
        ok = true;
      } catch (_) {
        // not a secure context (a page reached by its LAN address over http): select it and copy the old way
        const range = document.createRange();
        range.selectNodeContents(target);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        try { ok = document.execCommand("copy"); } catch (_) { ok = false; }
      }
      button.textContent = ok ? button.dataset.copied : button.dataset.failed;
      button.classList.toggle("done", ok);
      window.setTimeout(() => { button.textContent = label; button.classList.remove("done"); }, 2500);
    });
  }
}

function dropOnText() {
  // A file dropped on the text box goes into the file field, as if it had been chosen.
  const text = document.getElementById("text");
  const file = document.getElementById("file");
  const hint = document.getElementById("drop-hint");
  if (!text || !file) return;
  if (hint) hint.hidden = false;
  const hasFiles = (event) => event.dataTransfer && Array.from(event.dataTransfer.types).includes("Files");
  text.addEventListener("dragover", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    text.classList.add("dropping");
  });
  text.addEventListener("dragleave", () => text.classList.remove("dropping"));
  text.addEventListener("drop", (event) => {
    text.classList.remove("dropping");
    if (!hasFiles(event) || !event.dataTransfer.files.length) return;
    event.preventDefault();
    file.files = event.dataTransfer.files;
    file.dispatchEvent(new Event("change", { bubbles: true }));
    file.focus();
  });
}

document.addEventListener("DOMContentLoaded", () => {
  copyButtons();
  dropOnText();
});
