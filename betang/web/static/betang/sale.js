// The sale page, keyboard first: a scanner types an item's code and Enter (one more of it), the card
// number and Enter (on to the PIN), the PIN and Enter (the page asks the server what the card pays
// and what is cash, and shows it), Enter again (pay). Totals are shown as typed; the server prices
// the sale again and is the only judge. Without scripts the form simply pays.
(function () {
  "use strict";
  var form = document.getElementById("sale");
  if (!form) return;
  var rows = Array.prototype.slice.call(form.querySelectorAll("tbody tr[data-code]"));
  var rupiah = function (n) { return "Rp" + n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, "."); };
  var quote = document.getElementById("quote");
  var quoteError = document.getElementById("quote-error");
  var pay = form.querySelector("button[type=submit]");
  var quoted = null; // the form's fields when the shown quote was made
  function fields() { // what the quote depends on: the basket, the card and its PIN (not the cash given)
    var sent = new URLSearchParams(new FormData(form));
    sent.delete("cash");
    return sent.toString();
  }
  function forget() {
    quoted = null;
    if (quote) quote.hidden = true;
    if (quoteError) quoteError.hidden = true;
  }
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
  form.addEventListener("input", function (event) {
    total();
    if (event.target.name !== "cash") forget();
  });
  var scan = document.getElementById("scan");
  scan.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") return;
    event.preventDefault();
    var code = scan.value.trim();
    if (!code) { document.getElementById("card").focus(); return; }
    var row = rows.filter(function (r) { return r.dataset.code === code; })[0];
    scan.value = "";
    var unknown = document.getElementById("scan-unknown");
    if (!row) {
      scan.setAttribute("aria-invalid", "true");
      unknown.textContent = unknown.dataset.text.replace("{code}", code);
      unknown.hidden = false;
      return;
    }
    scan.removeAttribute("aria-invalid");
    unknown.hidden = true;
    var input = row.querySelector("input.qty");
    var next = (parseInt(input.value, 10) || 0) + 1;
    if (next <= parseInt(input.max, 10)) input.value = next;
    total();
    forget();
  });
  document.getElementById("card").addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); document.getElementById("pin").focus(); }
  });
  function show(body) {
    form.querySelector("[data-testid=quote-card]").textContent = body.text.card;
    form.querySelector("[data-testid=quote-pockets]").textContent = body.text.pockets ? "(" + body.text.pockets + ")" : "";
    form.querySelector("[data-testid=quote-cash]").textContent = body.text.cash;
    form.querySelector("[data-testid=quote-left]").textContent = body.text.left;
    var cash = document.getElementById("cash");
    var given = parseInt((cash.value || "").replace(/\D/g, ""), 10);
    var short = form.querySelector("[data-testid=quote-cash-short]");
    short.hidden = !(cash.value && given < body.cash);
    short.textContent = short.hidden ? "" : short.dataset.text.replace("{need}", body.text.cash);
    quoteError.hidden = true;
    quote.hidden = false;
    pay.focus();
  }
  function ask() {
    var sent = fields();
    pay.setAttribute("aria-busy", "true");
    fetch(form.dataset.quote, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (answer) {
      pay.removeAttribute("aria-busy");
      if (answer.ok) { quoted = sent; show(answer.body); return; }
      quote.hidden = true;
      quoteError.textContent = answer.body.message || "";
      quoteError.dataset.code = answer.body.code || "";
      quoteError.hidden = false;
      var pin = document.getElementById("pin");
      pin.value = "";
      pin.focus();
    }).catch(function () {
      pay.removeAttribute("aria-busy");
      form.submit(); // no answer (offline link): the server judges the sale itself
    });
  }
  form.addEventListener("submit", function (event) {
    var card = document.getElementById("card").value.trim();
    var pin = document.getElementById("pin");
    if (card && !pin.value) { // no PIN typed yet (a second Enter, a scanner's Enter): wait for it
      event.preventDefault();
      pin.focus();
      return;
    }
    if (card && quote && quoted !== fields()) { // a card sale: show the split before paying
      event.preventDefault();
      ask();
      return;
    }
    pay.setAttribute("aria-busy", "true");
  });
  total();
})();
