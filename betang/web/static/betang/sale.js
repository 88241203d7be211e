// The sale page, keyboard first: a scanner types an item's code and Enter (one more of it), the card
// number and Enter (on to the PIN), the PIN and Enter (pay). Totals are shown as typed; the server
// prices the sale again and is the only judge.
(function () {
  "use strict";
  var form = document.getElementById("sale");
  if (!form) return;
  var rows = Array.prototype.slice.call(form.querySelectorAll("tbody tr[data-code]"));
  var rupiah = function (n) { return "Rp" + n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, "."); };
  function total() {
    var sum = 0;
    rows.forEach(function (row) {
      var qty = parseInt(row.querySelector("input.qty").value, 10) || 0;
      var amount = Math.max(qty, 0) * parseInt(row.dataset.price, 10);
      row.querySelector(".line-total").textContent = rupiah(amount);
      sum += amount;
    });
    document.getElementById("total").textContent = rupiah(sum);
  }
  form.addEventListener("input", total);
  var scan = document.getElementById("scan");
  scan.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") return;
    event.preventDefault();
    var code = scan.value.trim();
    if (!code) { document.getElementById("card").focus(); return; }
    var row = rows.filter(function (r) { return r.dataset.code === code; })[0];
    scan.value = "";
    if (!row) { scan.setAttribute("aria-invalid", "true"); return; }
    scan.removeAttribute("aria-invalid");
    var input = row.querySelector("input.qty");
    var next = (parseInt(input.value, 10) || 0) + 1;
    if (next <= parseInt(input.max, 10)) input.value = next;
    total();
  });
  document.getElementById("card").addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); document.getElementById("pin").focus(); }
  });
  form.addEventListener("submit", function () {
    form.querySelector("button[type=submit]").setAttribute("aria-busy", "true");
  });
  total();
})();
