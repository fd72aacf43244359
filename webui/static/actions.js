// Ticket actions: insert a canned response at the cursor; show the pending time only for pending states.
(function () {
  "use strict";
  var select = document.getElementById("canned-select");
  var text = document.getElementById("compose-text");
  var insert = document.getElementById("canned-insert");
  if (select && text && insert) {
    insert.addEventListener("click", function (event) {
      var option = select.options[select.selectedIndex];
      if (!option || !option.dataset.text) { return; }
      event.preventDefault();
      var start = text.selectionStart || 0, end = text.selectionEnd || 0;
      text.value = text.value.slice(0, start) + option.dataset.text + text.value.slice(end);
      text.focus();
      text.selectionStart = text.selectionEnd = start + option.dataset.text.length;
    });
  }
  var state = document.querySelector("#form-state select");
  var pending = document.querySelector("#form-state .pending-time");
  if (state && pending) {
    var toggle = function () {
      var option = state.options[state.selectedIndex];
      pending.hidden = !(option && option.dataset.pending);
    };
    state.addEventListener("change", toggle);
    toggle();
  }
})();
