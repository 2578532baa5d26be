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

  /* Seat map: real buttons with aria-pressed; arrows move between seats (one tab stop).
     The total prices each picked seat by its ticket type and category, as the server does:
     seats in reading order take the counted child, senior… tickets first, the rest are adults. */
  function initSeatMap(map) {
    var ds = map.dataset;
    var max = parseInt(ds.max, 10);
    var fmt = {
      symbol: ds.symbol, after: ds.symbolAfter === "1", decimals: parseInt(ds.decimals, 10),
      decimalSep: ds.decimalSep, thousandSep: ds.thousandSep
    };
    var pricesNode = document.getElementById("ticket-prices");
    var prices = pricesNode ? JSON.parse(pricesNode.textContent) : {};
    var seats = Array.prototype.slice.call(map.querySelectorAll("button.seat"));
    var counters = Array.prototype.slice.call(document.querySelectorAll("input[data-ticket-type]"));
    var adultInput = counters.filter(function (i) { return i.dataset.ticketType === "adult"; })[0];
    var holdForm = document.getElementById("hold-form");
    var inputs = holdForm && holdForm.querySelector("[data-hold-inputs]");
    var labelsOut = holdForm && holdForm.querySelector("[data-selected-labels]");
    var totalOut = holdForm && holdForm.querySelector("[data-total]");
    var countOut = holdForm && holdForm.querySelector("[data-count]");
    var holdButton = holdForm && holdForm.querySelector("[data-hold-button]");
    var bestButton = holdForm && holdForm.querySelector("[data-best-button]");

    function selected() {
      return seats.filter(function (b) { return b.getAttribute("aria-pressed") === "true"; });
    }
    function count(input) {
      var n = parseInt(input.value, 10);
      return isNaN(n) || n < 0 ? 0 : n;
    }
    function setPressed(button, on) {
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.classList.toggle("seat-selected", on);
      var text = on ? ds.textSelected : ds.textAvailable;
      var status = button.querySelector("[data-status-text]");
      if (status) status.textContent = text;
      button.title = button.title.replace(/ · [^·]*$/, " · " + text);
    }
    /* [total in minor units, or null with the reason] of the picked seats. */
    function priced(picked) {
      var types = [];
      counters.forEach(function (input) {
        if (input === adultInput) return;
        for (var i = 0; i < count(input); i++) types.push(input.dataset.ticketType);
      });
      if (types.length > picked.length) return [null, ds.textTooManyTickets];
      while (types.length < picked.length) types.push("adult");
      var total = 0;
      for (var i = 0; i < picked.length; i++) {
        var price = (prices[types[i]] || {})[picked[i].dataset.category];
        if (price === undefined) return [null, ds.textNotOnSale];
        total += toMinor(price, fmt.decimals);
      }
      return [total, null];
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
      var result = priced(picked);
      labelsOut.textContent = notice || result[1] || (picked.length
        ? picked.map(function (b) { return b.dataset.label; }).join(", ")
        : ds.textNone);
      countOut.textContent = picked.length === 1
        ? ds.textCountOne
        : ds.textCountMany.replace("%(count)s", String(picked.length));
      totalOut.textContent = result[0] === null ? "—" : formatMoney(result[0], fmt);
      holdButton.disabled = picked.length === 0 || result[0] === null;
      if (bestButton) {
        var wanted = counters.reduce(function (sum, input) { return sum + count(input); }, 0);
        bestButton.disabled = wanted === 0 || wanted > max;
      }
    }
    /* Picking seats by hand: adults are the seats the other ticket types leave. */
    function fillAdults() {
      if (!adultInput) return;
      var others = counters.reduce(function (sum, input) { return input === adultInput ? sum : sum + count(input); }, 0);
      adultInput.value = String(Math.max(0, selected().length - others));
    }
    function toggle(button) {
      if (button.disabled) return;
      var on = button.getAttribute("aria-pressed") !== "true";
      if (on && selected().length >= max) {
        render(ds.textMax);
        return;
      }
      setPressed(button, on);
      fillAdults();
      render();
    }

    seats.forEach(function (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        toggle(button);
      });
    });
    counters.forEach(function (input) {
      input.addEventListener("input", function () {
        if (input !== adultInput && selected().length) fillAdults();
        render();
      });
    });

    /* Keyboard: one tab stop for the whole map; left and right go to the next seat that can be
       picked in the row (over aisles), up and down to the nearest one in the next row that has one. */
    var enabled = seats.filter(function (b) { return !b.disabled; });
    var rows = Array.prototype.slice.call(map.querySelectorAll(".seat-row")).map(function (row) {
      return Array.prototype.slice.call(row.querySelectorAll("button.seat")).filter(function (b) { return !b.disabled; });
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
      var r = -1;
      rows.forEach(function (row, i) { if (row.indexOf(current) >= 0) r = i; });
      if (r < 0) return;
      var row = rows[r], c = row.indexOf(current), x = parseInt(current.dataset.x, 10);
      var next = null;
      switch (event.key) {
        case "ArrowLeft": next = row[c - 1]; break;
        case "ArrowRight": next = row[c + 1]; break;
        case "Home": next = row[0]; break;
        case "End": next = row[row.length - 1]; break;
        case "ArrowUp": case "ArrowDown":
          var step = event.key === "ArrowUp" ? -1 : 1;
          for (var nr = r + step; nr >= 0 && nr < rows.length && !next; nr += step) {
            rows[nr].forEach(function (b) {
              var d = Math.abs(parseInt(b.dataset.x, 10) - x);
              if (!next || d < Math.abs(parseInt(next.dataset.x, 10) - x)) next = b;
            });
          }
          break;
        default: return;
      }
      event.preventDefault();
      if (next) focusSeat(next);
    });
    /* One hold per click: a second submit while the first is on its way would only be refused. */
    if (holdForm) {
      holdForm.addEventListener("submit", function () {
        setTimeout(function () {
          holdButton.disabled = true;
          if (bestButton) bestButton.disabled = true;
        }, 0);
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
