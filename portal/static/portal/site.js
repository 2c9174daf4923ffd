// The site's only script, small behaviours on top of pages that work without it.
// A long list to choose from (students, UX rule 8) gets a search box: typing part of a name keeps only the
// matching choices, shown as a list; without JavaScript the plain list still works.
"use strict";
document.querySelectorAll("select[data-search]").forEach(function (select) {
  var box = document.createElement("input");
  box.type = "search";
  box.className = "picker-search";
  box.placeholder = select.dataset.search;
  box.setAttribute("aria-label", select.dataset.search);
  if (select.id) box.setAttribute("aria-controls", select.id);
  select.parentNode.insertBefore(box, select);
  box.addEventListener("input", function () {
    var query = box.value.trim().toLowerCase();
    var shown = [];
    Array.prototype.forEach.call(select.options, function (option) {
      var match = option.value !== "" && option.text.toLowerCase().indexOf(query) !== -1;
      option.hidden = query !== "" && !match;
      if (match) shown.push(option);
    });
    select.size = query === "" ? 0 : Math.max(2, Math.min(8, shown.length));
    var current = select.options[select.selectedIndex];
    if (query !== "" && shown.length && (!current || current.hidden || current.value === "")) {
      select.value = shown[0].value;
    }
  });
});

// A button that prints the page (the school poster): no inline script, the Content Security Policy refuses them.
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
