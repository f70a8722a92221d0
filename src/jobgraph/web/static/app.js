// Light help where it is useful; every page works without it.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // the validation filters apply as soon as a choice changes
  document.querySelectorAll("form.filters select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
});
