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
});
