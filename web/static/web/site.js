/* The booking site's small enhancements. Every page works without this file:
   the seat map falls back to a GET form per click, the booking page to a manual reload. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  /* Language switch: submit as soon as a language is picked. */
  function initLanguageSwitch() {
    document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  }

  /* Money written the same way as the server's `money` filter (integer minor units, no floats). */
  function toMinor(text, decimals) {
    var parts = String(text).split(".");
    var frac = (parts[1] || "").padEnd(decimals, "0").slice(0, decimals);
    return parseInt(parts[0] || "0", 10) * Math.pow(10, decimals) + (decimals ? parseInt(frac || "0", 10) : 0);
  }
  function formatMoney(minor, fmt) {
    var d = fmt.decimals;
    var whole = String(Math.floor(minor / Math.pow(10, d)));
    var frac = d ? String(minor % Math.pow(10, d)).padStart(d, "0") : "";
    whole = whole.replace(/\B(?=(\d{3})+(?!\d))/g, fmt.thousandSep);
    var number = whole + (d ? fmt.decimalSep + frac : "");
    return fmt.after ? number + "\u00a0" + fmt.symbol : fmt.symbol + number;
  }

  /* Seat map: real buttons with aria-pressed; arrows move between seats (one tab stop). */
  function initSeatMap(map) {
    var ds = map.dataset;
    var max = parseInt(ds.max, 10);
    var fmt = {
      symbol: ds.symbol, after: ds.symbolAfter === "1", decimals: parseInt(ds.decimals, 10),
      decimalSep: ds.decimalSep, thousandSep: ds.thousandSep
    };
    var priceMinor = toMinor(ds.price, fmt.decimals);
    var seats = Array.prototype.slice.call(map.querySelectorAll("button.seat"));
    var holdForm = document.getElementById("hold-form");
    var inputs = holdForm && holdForm.querySelector("[data-hold-inputs]");
    var labelsOut = holdForm && holdForm.querySelector("[data-selected-labels]");
    var totalOut = holdForm && holdForm.querySelector("[data-total]");
    var countOut = holdForm && holdForm.querySelector("[data-count]");
    var holdButton = holdForm && holdForm.querySelector("[data-hold-button]");

    function selected() {
      return seats.filter(function (b) { return b.getAttribute("aria-pressed") === "true"; });
    }
    function setPressed(button, on) {
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.classList.toggle("seat-selected", on);
      var text = on ? ds.textSelected : ds.textAvailable;
      button.setAttribute("aria-label", button.dataset.label + ", " + text);
      button.title = button.dataset.label + " · " + text;
    }
    function render(notice) {
      var picked = selected();
      if (!holdForm) return;
      inputs.innerHTML = "";
      picked.forEach(function (b) {
        var input = document.createElement("input");
        input.type = "hidden"; input.name = "seats"; input.value = b.dataset.seatId;
        inputs.appendChild(input);
      });
      labelsOut.textContent = notice || (picked.length
        ? picked.map(function (b) { return b.dataset.label; }).join(", ")
        : ds.textNone);
      countOut.textContent = picked.length === 1
        ? ds.textCountOne
        : ds.textCountMany.replace("%(count)s", String(picked.length));
      totalOut.textContent = formatMoney(priceMinor * picked.length, fmt);
      holdButton.disabled = picked.length === 0;
    }
    function toggle(button) {
      if (button.disabled) return;
      var on = button.getAttribute("aria-pressed") !== "true";
      if (on && selected().length >= max) {
        render(ds.textMax);
        return;
      }
      setPressed(button, on);
      render();
    }

    seats.forEach(function (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        toggle(button);
      });
    });

    /* Keyboard: one tab stop for the whole map, arrow keys between enabled seats. */
    var enabled = seats.filter(function (b) { return !b.disabled; });
    var rows = Array.prototype.slice.call(map.querySelectorAll(".seat-row")).map(function (row) {
      return Array.prototype.slice.call(row.querySelectorAll("button.seat"));
    });
    function focusSeat(button) {
      enabled.forEach(function (b) { b.tabIndex = -1; });
      button.tabIndex = 0;
      button.focus();
    }
    if (enabled.length) {
      enabled.forEach(function (b) { b.tabIndex = -1; });
      (selected()[0] || enabled[0]).tabIndex = 0;
    }
    map.addEventListener("keydown", function (event) {
      var current = event.target.closest && event.target.closest("button.seat");
      if (!current) return;
      var r = -1, c = -1;
      rows.forEach(function (row, i) { var j = row.indexOf(current); if (j >= 0) { r = i; c = j; } });
      if (r < 0) return;
      var dr = 0, dc = 0;
      switch (event.key) {
        case "ArrowLeft": dc = -1; break;
        case "ArrowRight": dc = 1; break;
        case "ArrowUp": dr = -1; break;
        case "ArrowDown": dr = 1; break;
        case "Home": c = 0; dc = 0; break;
        case "End": c = rows[r].length - 1; dc = 0; break;
        default: return;
      }
      event.preventDefault();
      /* Walk in that direction to the next seat that can be picked. */
      var nr = r, nc = c;
      for (var step = 0; step < 200; step++) {
        if (event.key === "Home" || event.key === "End") {
          var line = rows[nr].filter(function (b) { return !b.disabled; });
          if (line.length) focusSeat(event.key === "Home" ? line[0] : line[line.length - 1]);
          return;
        }
        nr += dr; nc += dc;
        if (nr < 0 || nr >= rows.length || nc < 0) return;
        var row = rows[nr];
        var candidate = row[Math.min(nc, row.length - 1)];
        if (nc >= row.length && dc) return;
        if (candidate && !candidate.disabled) { focusSeat(candidate); return; }
      }
    });
    /* One hold per click: a second submit while the first is on its way would only be refused. */
    if (holdForm) {
      holdForm.addEventListener("submit", function () {
        setTimeout(function () { holdButton.disabled = true; }, 0);
      });
    }
    render();
  }

  /* Booking page: the hold's countdown, and polling so payment shows up without a reload. */
  function initBooking(page) {
    var status = page.dataset.status;
    var url = page.dataset.statusUrl;
    var countdown = page.querySelector("[data-countdown]");
    var payButton = page.querySelector("[data-pay-button]");
    var deadline = countdown ? Date.now() + parseInt(countdown.dataset.secondsLeft, 10) * 1000 : null;

    function tick() {
      if (!countdown) return;
      var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      var m = Math.floor(left / 60), s = left % 60;
      countdown.textContent = (m < 10 ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
      countdown.classList.toggle("countdown-urgent", left <= 60);
      if (left === 0) {
        if (payButton) payButton.disabled = true;
        poll();
        return;
      }
      setTimeout(tick, 1000);
    }

    var tickets = page.querySelectorAll(".ticket").length;
    var polling = false;
    function poll() {
      if (polling || document.hidden) return;
      polling = true;
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          polling = false;
          if (!data) return;
          if (data.status !== status || (data.status === "paid" && data.tickets !== tickets)) {
            window.location.reload();
          }
        })
        .catch(function () { polling = false; });
    }
    var waiting = status === "pending" || (status === "paid" && tickets === 0);
    if (waiting) {
      setInterval(poll, 3000);
      /* A tab in the background does not poll; coming back checks at once. */
      document.addEventListener("visibilitychange", poll);
      /* Back from the payment page: say we are waiting for the confirmation. */
      if (/[?&]checkout=success/.test(window.location.search)) {
        var note = page.querySelector("[data-waiting]");
        if (note) note.hidden = false;
        poll();
      }
    }
    tick();
  }

  ready(function () {
    initLanguageSwitch();
    document.querySelectorAll("[data-seatmap]").forEach(initSeatMap);
    document.querySelectorAll("[data-booking]").forEach(initBooking);
  });
})();
