// keydesk web console: the few behaviours htmx does not cover (no inline scripts: the CSP allows
// only this server's own files).
(function () {
  "use strict";

  // Example requests fill the request box.
  document.addEventListener("click", function (event) {
    var chip = event.target.closest("[data-fill]");
    if (!chip) return;
    var box = document.querySelector("form.ask textarea");
    if (!box) return;
    box.value = chip.getAttribute("data-fill");
    box.focus();
  });

  // Enter sends the request; Shift+Enter makes a new line.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.shiftKey) return;
    var box = event.target;
    if (!box.matches || !box.matches("form.ask textarea")) return;
    event.preventDefault();
    if (box.value.trim() !== "") box.form.requestSubmit();
  });

  // A named recipient's box is used only when "a named person" is chosen.
  document.addEventListener("change", function (event) {
    var radio = event.target;
    if (!radio.matches || !radio.matches("fieldset.delivery input[type=radio]")) return;
    var person = radio.closest("fieldset").querySelector("input[name=person]");
    if (person && radio.value === "person" && radio.checked) person.focus();
  });

  // After a request is planned: clear the box and show the answer.
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!form.matches || !form.matches("form.ask") || !event.detail.successful) return;
    form.reset();
    var last = document.querySelector(".conversation .exchange:last-child");
    if (last) last.scrollIntoView({ behavior: "smooth", block: "start" });
  });
})();
