// Routing rules: drag a row to a new place; the new order is posted in one request (one transaction).
(function () {
  "use strict";
  var table = document.getElementById("rule-table");
  var form = document.getElementById("rule-order-form");
  if (!table || !form) { return; }
  var body = table.tBodies[0];
  var dragged = null;
  body.addEventListener("dragstart", function (event) {
    dragged = event.target.closest("tr");
    if (event.dataTransfer) { event.dataTransfer.effectAllowed = "move"; event.dataTransfer.setData("text/plain", ""); }
  });
  body.addEventListener("dragover", function (event) {
    var row = event.target.closest("tr");
    if (!dragged || !row || row === dragged) { return; }
    event.preventDefault();
    var box = row.getBoundingClientRect();
    body.insertBefore(dragged, event.clientY > box.top + box.height / 2 ? row.nextSibling : row);
  });
  body.addEventListener("drop", function (event) {
    if (!dragged) { return; }
    event.preventDefault();
    dragged = null;
    var ids = Array.prototype.map.call(body.rows, function (row) { return row.getAttribute("data-rule-id"); });
    form.elements.order.value = ids.join(",");
    form.submit();
  });
})();
