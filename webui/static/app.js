// factsandwich web UI: progressive enhancement only (every action also works without script).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Live length counter for the response editor: the parts joined as the server joins them.
  document.querySelectorAll("[data-counter-form]").forEach((form) => {
    const separator = form.dataset.channel === "short" ? " " : "\n\n";
    const limit = parseInt(form.dataset.limit || "0", 10);
    const counter = form.querySelector("[data-count]");
    const update = () => {
      const parts = Array.from(form.querySelectorAll("textarea")).map((t) => t.value.trim()).filter(Boolean);
      const length = parts.join(separator).length;
      counter.textContent = String(length);
      counter.classList.toggle("over", limit > 0 && length > limit);
    };
    form.addEventListener("input", update);
    update();
    // Text the server would refuse (each part at most data-max-part characters, the whole request
    // under the upload limit) is not sent: the message says why, and the text stays in the form.
    const maxPart = parseInt(form.dataset.maxPart || "0", 10);
    const message = form.querySelector("[data-too-long]");
    form.addEventListener("submit", (event) => {
      const tooLong = maxPart > 0 && Array.from(form.querySelectorAll("textarea")).some((t) => t.value.length > maxPart);
      if (message) { message.hidden = !tooLong; }
      if (tooLong) {
        event.preventDefault();
        event.stopImmediatePropagation();
        form.dataset.sent = "";
      }
    });
  });
  // One-click copy of the approved text.
  document.querySelectorAll("[data-copy]").forEach((button) => {
    button.addEventListener("click", async () => {
      const source = document.getElementById(button.dataset.copy);
      try {
        await navigator.clipboard.writeText(source.value);
      } catch (error) {
        source.select();
        document.execCommand("copy");
      }
      button.textContent = button.dataset.copied || "Copied";
      button.dataset.done = "1";
    });
  });
  // A form is submitted once: a double click does not send it twice (the server checks too).
  document.querySelectorAll("form").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (form.dataset.sent === "1" && form.querySelector("[data-once]")) {
        event.preventDefault();
        return;
      }
      form.dataset.sent = "1";
    });
  });
  document.querySelectorAll("[data-select-all]").forEach((box) => {
    box.addEventListener("change", () => {
      box.closest("form").querySelectorAll("input[name=item_id]").forEach((c) => { c.checked = box.checked; });
    });
  });
  document.querySelectorAll("[data-autosubmit]").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });
  keyboardShortcuts();
  liveChecks();
});

// Keyboard shortcuts (the help dialog, `?`, lists them): in the queue j/k move, o or Enter opens,
// x selects; on an item r sends to response, d dismisses, n/p go to the next/previous item of the
// queue page it was opened from, u goes back to that queue. Keys typed into a field are text, never
// shortcuts.
function keyboardShortcuts() {
  const queue = document.querySelector("table.queue");
  const rows = queue ? Array.from(queue.querySelectorAll("tbody tr")) : [];
  let current = -1;
  const focusRow = (index) => {
    if (!rows.length) { return; }
    current = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach((row, i) => {
      row.classList.toggle("current", i === current);
      if (i === current) { row.setAttribute("aria-current", "true"); } else { row.removeAttribute("aria-current"); }
    });
    rows[current].scrollIntoView({ block: "nearest" });
  };
  if (rows.length) {
    // Remember this page of the queue, so that an item can offer next/previous within it.
    const links = rows.map((row) => row.querySelector("a.item-link")).filter(Boolean);
    sessionStorage.setItem("factsandwich-queue", JSON.stringify({
      url: location.pathname + location.search,
      items: links.map((a) => a.getAttribute("href")),
    }));
  }
  const pager = document.querySelector("[data-item-pager]");
  let stored = null;
  try { stored = JSON.parse(sessionStorage.getItem("factsandwich-queue") || "null"); } catch (error) { stored = null; }
  const here = location.pathname;
  const position = stored && Array.isArray(stored.items) ? stored.items.indexOf(here) : -1;
  const neighbour = (step) => (position >= 0 ? stored.items[position + step] : undefined);
  if (pager && position >= 0) {
    [["previous", -1], ["next", 1]].forEach(([name, step]) => {
      const link = pager.querySelector(`[data-pager=${name}]`);
      const target = neighbour(step);
      if (link && target) { link.href = target; link.hidden = false; }
    });
    const back = pager.querySelector("[data-pager=queue]");
    if (back) { back.href = stored.url; }
    pager.hidden = false;
  }
  const help = document.getElementById("shortcuts-help");
  document.querySelectorAll("[data-shortcuts]").forEach((button) => {
    button.addEventListener("click", () => { if (help) { help.showModal(); } });
  });
  const submit = (selector) => {
    const form = document.querySelector(selector);
    if (form) { form.requestSubmit(); }
  };
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) { return; }
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) { return; }
    const key = event.key;
    if (key === "?" && help) { help.open ? help.close() : help.showModal(); event.preventDefault(); return; }
    if (rows.length) {
      if (key === "j") { focusRow(current + 1); } else if (key === "k") { focusRow(current - 1); }
      else if ((key === "o" || key === "Enter") && current >= 0) { rows[current].querySelector("a.item-link").click(); }
      else if (key === "x" && current >= 0) { const box = rows[current].querySelector("input[type=checkbox]"); box.checked = !box.checked; }
      else { return; }
      event.preventDefault();
      return;
    }
    if (key === "r") { submit("form.respond-form"); }
    else if (key === "d") { submit("form.dismiss-form"); }
    else if ((key === "n" || key === "p") && neighbour(key === "n" ? 1 : -1)) { location.href = neighbour(key === "n" ? 1 : -1); }
    else if (key === "u" && stored && position >= 0) { location.href = stored.url; }
    else { return; }
    event.preventDefault();
  });
}

// -- the response lifecycle (issue 13): live checks while typing -- begin
// The response editor asks the server to check the text as typed (the same library check as the
// approval), 400 ms after the last keystroke; nothing is saved. The answer fills the live list.
function liveChecks() {
  document.querySelectorAll("form[data-check-url]").forEach((form) => {
    const box = form.querySelector("[data-live-checks]");
    const list = form.querySelector("[data-live-problems]");
    const ok = form.querySelector("[data-live-ok]");
    const token = form.querySelector("input[name=csrf_token]");
    if (!box || !list || !ok) { return; }
    let timer = null;
    let sent = 0;
    const check = async () => {
      const asked = ++sent;
      try {
        const reply = await fetch(form.dataset.checkUrl, {
          method: "POST",
          body: new FormData(form),
          headers: { "X-CSRFToken": token ? token.value : "", "Accept": "application/json" },
          credentials: "same-origin",
        });
        if (!reply.ok || asked !== sent) { return; }
        const result = await reply.json();
        list.replaceChildren(...result.problems.concat(result.too_long).map((text) => {
          const li = document.createElement("li");
          li.textContent = text;
          return li;
        }));
        ok.hidden = !result.ok;
        box.hidden = false;
        box.dataset.checked = String(asked);
      } catch (error) {
        // offline or the session ended: the save still checks
      }
    };
    form.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(check, 400);
    });
  });
}
// -- the response lifecycle (issue 13): live checks while typing -- end
